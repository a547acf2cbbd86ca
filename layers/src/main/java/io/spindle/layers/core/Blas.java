package io.spindle.layers.core;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;

import static org.bytedeco.openblas.global.openblas.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas.CblasTrans;
import static org.bytedeco.openblas.global.openblas.cblas_sgemm;

/**
 * Row-major sgemm straight into OpenBLAS (the same library ND4J links) on ND4J-owned memory.
 * {@code Nd4j.gemm} spends ~45 µs per call on a 64×64 product before any arithmetic; this call
 * costs ~1 µs of overhead, which is what makes a step of many small products fast (ADR 0001).
 *
 * <p>Offsets and leading dimensions are in elements, relative to the start of each array's root
 * data buffer, the same origin {@link Buffers#floats} indexes from (so views pass
 * {@code view.offset()} plus their own index). Calls from several threads at once are safe; the
 * attention layer makes them.
 */
public final class Blas {
    private Blas() {}

    /**
     * C[m,n] = alpha · op(A)[m,k] · op(B)[k,n] + beta · C, all row-major.
     * With {@code transA}, A is stored [k, m]; with {@code transB}, B is stored [n, k].
     */
    public static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                            INDArray a, long offA, int lda, INDArray b, long offB, int ldb,
                            float beta, INDArray c, long offC, int ldc) {
        try (FloatPointer pa = pointer(a, offA); FloatPointer pb = pointer(b, offB); FloatPointer pc = pointer(c, offC)) {
            cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
        }
    }

    /**
     * Whole-matrix convenience: C = alpha · op(A) · op(B) + beta · C for 2-D c-order arrays
     * (views allowed as long as each row is contiguous).
     */
    public static void gemm(boolean transA, boolean transB, float alpha, INDArray a, INDArray b, float beta, INDArray c) {
        int m = (int) c.size(0);
        int n = (int) c.size(1);
        int k = (int) (transA ? a.size(0) : a.size(1));
        long expectK = transB ? b.size(1) : b.size(0);
        if (k != expectK || (transA ? a.size(1) : a.size(0)) != m || (transB ? b.size(0) : b.size(1)) != n) {
            throw new IllegalArgumentException("gemm shapes do not agree: A" + java.util.Arrays.toString(a.shape())
                    + (transA ? "^T" : "") + " B" + java.util.Arrays.toString(b.shape()) + (transB ? "^T" : "")
                    + " C" + java.util.Arrays.toString(c.shape()));
        }
        gemm(transA, transB, m, n, k, alpha, a, a.offset(), rowStride(a), b, b.offset(), rowStride(b),
                beta, c, c.offset(), rowStride(c));
    }

    private static int rowStride(INDArray x) {
        if (x.rank() != 2 || x.stride(1) != 1) {
            throw new IllegalArgumentException("gemm needs 2-D arrays with contiguous rows, got shape "
                    + java.util.Arrays.toString(x.shape()) + " stride " + java.util.Arrays.toString(x.stride()));
        }
        // ND4J gives a single row the row stride 1; BLAS only needs a leading dimension ≥ its columns
        return x.size(0) == 1 ? (int) x.size(1) : (int) x.stride(0);
    }

    /**
     * A pointer to element {@code offset} of x's root buffer. For a view, ND4J's
     * {@code data()} is itself a view whose {@code addressPointer()} already starts at
     * {@code data().offset()}, while {@code x.offset()} (and {@link Buffers#floats}) count from the
     * root; subtracting {@code data().offset()} puts both on the same origin.
     */
    private static FloatPointer pointer(INDArray x, long offset) {
        DataBuffer data = x.data();
        long root = data.addressPointer().address() - data.offset() * Float.BYTES;
        return new RawAddress(root + offset * Float.BYTES);
    }

    /**
     * A pointer that owns nothing. JavaCPP's {@code new FloatPointer(Pointer)} copies the
     * source's deallocator as a proxy, so closing such a copy could release ND4J's own buffer.
     */
    private static final class RawAddress extends FloatPointer {
        RawAddress(long byteAddress) {
            super((Pointer) null);
            this.address = byteAddress;
        }
    }
}
