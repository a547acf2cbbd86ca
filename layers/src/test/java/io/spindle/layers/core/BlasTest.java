package io.spindle.layers.core;

import io.spindle.layers.testing.FiniteDifference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class BlasTest {

    /** C = alpha op(A) op(B) + beta C computed by the textbook triple loop in double. */
    private static double[] naive(boolean ta, boolean tb, int m, int n, int k, double alpha, FloatBuffer a, int offA,
                                  int lda, FloatBuffer b, int offB, int ldb, double beta, double[] c, int ldc) {
        double[] out = c.clone();
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    double av = ta ? a.get(offA + p * lda + i) : a.get(offA + i * lda + p);
                    double bv = tb ? b.get(offB + j * ldb + p) : b.get(offB + p * ldb + j);
                    s += av * bv;
                }
                out[i * ldc + j] = alpha * s + beta * c[i * ldc + j];
            }
        }
        return out;
    }

    @ParameterizedTest
    @CsvSource({"false,false", "true,false", "false,true", "true,true"})
    void matchesTripleLoopWithOffsetsStridesAndTransposes(boolean ta, boolean tb) {
        SplittableRandom random = new SplittableRandom(ta ? 11 : 12 + (tb ? 1 : 0));
        int m = 7, n = 5, k = 9;
        // Operands sit at offsets inside larger buffers with padded rows, as attention heads do.
        int lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 2, ldc = n + 4;
        int offA = 13, offB = 29, offC = 6;
        INDArray a = FiniteDifference.normal(random, 1, offA + (ta ? k : m) * lda);
        INDArray b = FiniteDifference.normal(random, 1, offB + (tb ? n : k) * ldb);
        INDArray c = FiniteDifference.normal(random, 1, offC + m * ldc);
        double[] c0 = new double[m * ldc];
        for (int i = 0; i < c0.length; i++) c0[i] = c.getFloat(offC + i);
        double[] want = naive(ta, tb, m, n, k, 0.5, Buffers.floats(a), offA, lda, Buffers.floats(b), offB, ldb, -2.0, c0, ldc);

        Blas.gemm(ta, tb, m, n, k, 0.5f, a, offA, lda, b, offB, ldb, -2f, c, offC, ldc);

        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                assertEquals(want[i * ldc + j], c.getFloat(offC + i * ldc + j), 1e-4, "C[" + i + "," + j + "]");
            }
            for (int j = n; j < ldc && offC + i * ldc + j < c.length(); j++) {
                assertEquals(c0[i * ldc + j], c.getFloat(offC + i * ldc + j), 0.0, "padding C[" + i + "," + j + "] was written");
            }
        }
    }

    /** Views into a flat buffer (parameters are such views) must be read at their own offset. */
    @Test
    void wholeMatrixFormReadsParameterViewsAtTheirOffset() {
        ParameterSet params = new ParameterSet();
        params.add("pad", new long[] {37}, ParameterRole.VECTOR, Initializer.normal(1));
        Parameter w = params.add("w", new long[] {4, 6}, ParameterRole.MATRIX, Initializer.normal(1));
        Parameter x = params.add("x", new long[] {3, 6}, ParameterRole.MATRIX, Initializer.normal(1));
        Parameter y = params.add("y", new long[] {3, 4}, ParameterRole.MATRIX, Initializer.constant(1f));
        params.allocate(5);

        Blas.gemm(false, true, 1f, x.value(), w.value(), 1f, y.value());

        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 4; j++) {
                double s = 1;
                for (int p = 0; p < 6; p++) s += (double) x.value().getFloat(i, p) * w.value().getFloat(j, p);
                assertEquals(s, y.value().getFloat(i, j), 1e-5);
                assertEquals(y.value().getFloat(i, j), params.values().getFloat(y.offset() + i * 4 + j), 0.0);
            }
        }
        assertEquals(0f, params.grads().sumNumber().floatValue(), 0f, "gemm into values touched the gradients");
    }

    /** Attention calls gemm from several threads; products above OpenBLAS's threading bound too. */
    @Test
    void concurrentCallsGiveTheSequentialResults() throws Exception {
        SplittableRandom random = new SplittableRandom(3);
        int calls = 16;
        int[] sizes = {24, 96};
        INDArray[] a = new INDArray[calls], b = new INDArray[calls], want = new INDArray[calls], got = new INDArray[calls];
        for (int i = 0; i < calls; i++) {
            int n = sizes[i % 2];
            a[i] = FiniteDifference.normal(random, 1, n, n);
            b[i] = FiniteDifference.normal(random, 1, n, n);
            want[i] = Buffers.zeros(n, n);
            got[i] = Buffers.zeros(n, n);
            Blas.gemm(false, true, 1f, a[i], b[i], 0f, want[i]);
        }
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            java.util.List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
            for (int rep = 0; rep < 20; rep++) {
                for (int i = 0; i < calls; i++) {
                    int call = i;
                    done.add(pool.submit(() -> Blas.gemm(false, true, 1f, a[call], b[call], 0f, got[call])));
                }
            }
            for (java.util.concurrent.Future<?> f : done) f.get();
        } finally {
            pool.shutdown();
        }
        for (int i = 0; i < calls; i++) assertEquals(want[i], got[i], "call " + i);
    }

    @Test
    void rejectsDisagreeingShapes() {
        INDArray a = Buffers.zeros(3, 4);
        INDArray b = Buffers.zeros(5, 6);
        assertThrows(IllegalArgumentException.class, () -> Blas.gemm(false, false, 1f, a, b, 0f, Buffers.zeros(3, 6)));
    }
}
