package io.spindle.optim.math;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import static org.bytedeco.openblas.global.openblas.CblasLeft;
import static org.bytedeco.openblas.global.openblas.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas.CblasRight;
import static org.bytedeco.openblas.global.openblas.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas.CblasTrans;
import static org.bytedeco.openblas.global.openblas.CblasUpper;
import static org.bytedeco.openblas.global.openblas.cblas_dsymm;
import static org.bytedeco.openblas.global.openblas.cblas_dsyrk;
import static org.bytedeco.openblas.global.openblas.cblas_ssymm;
import static org.bytedeco.openblas.global.openblas.cblas_ssyrk;

/**
 * The two symmetric BLAS-3 products Newton–Schulz needs, called straight into the OpenBLAS that
 * ND4J links (ND4J's own {@code syrk} wrapper does not pass the inner dimension through). Both
 * touch only the upper triangle of their symmetric matrix, which is what halves the Gram products.
 * Arrays are dense row-major float32 or float64, all of one type; {@code layers} has the general
 * sgemm ({@code io.spindle.layers.core.Blas}), which {@code optim} may not import.
 */
final class SymmetricBlas {
    private SymmetricBlas() {}

    /**
     * Upper triangle of C [n, n] = alpha · A A^T + beta · C for A [n, k], or alpha · A^T A + beta · C
     * for A [k, n] when {@code transpose}. The strictly lower triangle of C is left as it was.
     */
    static void syrkUpper(boolean transpose, int n, int k, double alpha, INDArray a, double beta, INDArray c) {
        int lda = transpose ? n : k;
        int trans = transpose ? CblasTrans : CblasNoTrans;
        if (c.dataType() == DataType.FLOAT) {
            try (FloatPointer pa = floats(a); FloatPointer pc = floats(c)) {
                cblas_ssyrk(CblasRowMajor, CblasUpper, trans, n, k, (float) alpha, pa, lda, (float) beta, pc, n);
            }
        } else {
            try (DoublePointer pa = doubles(a); DoublePointer pc = doubles(c)) {
                cblas_dsyrk(CblasRowMajor, CblasUpper, trans, n, k, alpha, pa, lda, beta, pc, n);
            }
        }
    }

    /**
     * C = alpha · S B + beta · C for B, C [n, cols] (left), or C = alpha · B S + beta · C for
     * B, C [rows, n] (right), where S [n, n] is symmetric and only its upper triangle is read.
     */
    static void symmUpper(boolean right, int rows, int cols, double alpha, INDArray s, INDArray b, double beta, INDArray c) {
        int side = right ? CblasRight : CblasLeft;
        int lds = right ? cols : rows;
        if (c.dataType() == DataType.FLOAT) {
            try (FloatPointer ps = floats(s); FloatPointer pb = floats(b); FloatPointer pc = floats(c)) {
                cblas_ssymm(CblasRowMajor, side, CblasUpper, rows, cols, (float) alpha, ps, lds, pb, cols,
                        (float) beta, pc, cols);
            }
        } else {
            try (DoublePointer ps = doubles(s); DoublePointer pb = doubles(b); DoublePointer pc = doubles(c)) {
                cblas_dsymm(CblasRowMajor, side, CblasUpper, rows, cols, alpha, ps, lds, pb, cols, beta, pc, cols);
            }
        }
    }

    /** Byte address of x's element 0; x.offset() counts from the root buffer, data() may be a view. */
    private static long address(INDArray x) {
        DataBuffer data = x.data();
        long root = data.addressPointer().address() - data.offset() * data.getElementSize();
        return root + x.offset() * data.getElementSize();
    }

    private static FloatPointer floats(INDArray x) {
        return new RawFloats(address(x));
    }

    private static DoublePointer doubles(INDArray x) {
        return new RawDoubles(address(x));
    }

    /**
     * Pointers that own nothing: JavaCPP's copy constructors share the source's deallocator, so
     * closing such a copy could free ND4J's buffer under it.
     */
    private static final class RawFloats extends FloatPointer {
        RawFloats(long byteAddress) {
            super((Pointer) null);
            this.address = byteAddress;
        }
    }

    private static final class RawDoubles extends DoublePointer {
        RawDoubles(long byteAddress) {
            super((Pointer) null);
            this.address = byteAddress;
        }
    }
}
