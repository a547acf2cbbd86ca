package io.spindle.optim.math;

import io.spindle.optim.ContiguousFloats;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * The quintic Newton–Schulz iteration NS_k of Muon (Keller Jordan's
 * {@code zeropower_via_newtonschulz5}), which maps a matrix G = U S V^T to roughly U V^T without an
 * SVD: every iteration applies p(x) = a x + b x^3 + c x^5 to the singular values, and the
 * coefficients are tuned so that k = 5 iterations push them into about [0.7, 1.2] quickly rather
 * than converging exactly to 1.
 */
public final class NewtonSchulz {
    /** The quintic's coefficients (a, b, c), as in the reference and the golden README. */
    public static final double A = 3.4445;
    public static final double B = -4.7750;
    public static final double C = 2.0315;
    /** Added to ||G||_F so that a zero matrix maps to zero instead of NaN. */
    public static final double NORM_EPS = 1e-7;
    /** Side of the square tiles the Gram matrix is mirrored in, small enough to stay in L1. */
    private static final int TILE = 64;

    private NewtonSchulz() {}

    /**
     * NS_k(G) for a 2-D {@code g} of shape [out, in], as a new c-order array of g's data type:
     * <pre>
     * X = G (G^T when out &gt; in, so that X X^T is the smaller Gram matrix)
     * X = X / (||X||_F + 1e-7)          (all singular values &lt;= 1, inside the quintic's basin)
     * k times: A = X X^T;  X = a X + (b A + c A A) X
     * transpose back when transposed
     * </pre>
     * Computed as k times {@code A = X X^T; P = a I + b A + c A A; X = P X}: A, A A and P are
     * symmetric, so the two Gram products run as BLAS {@code syrk} (half the flops of a gemm) and
     * P X as {@code symm}. A tall G is never transposed: with Y = G the same iteration reads
     * {@code A = Y^T Y; Y = Y P}, which is X^T throughout. The 1/(||G||_F + 1e-7) scale rides on the
     * first iteration's alpha instead of a scaled copy of G. float32 and float64 run in their own
     * precision; other types are computed in float32 and cast back.
     */
    public static INDArray orthogonalize(INDArray g, int steps) {
        if (g == null || g.rank() != 2) {
            throw new IllegalArgumentException("Newton-Schulz needs a 2-D matrix, got "
                    + (g == null ? "null" : "shape " + Arrays.toString(g.shape())));
        }
        if (steps < 0) {
            throw new IllegalArgumentException("Newton-Schulz steps=" + steps + " must be >= 0");
        }
        DataType type = g.dataType();
        if (type != DataType.FLOAT && type != DataType.DOUBLE) {
            return orthogonalize(g.castTo(DataType.FLOAT), steps).castTo(type);
        }
        INDArray x = ContiguousFloats.isRowMajorWithoutGaps(g) ? g : g.dup('c');
        double scale = 1.0 / (FrobeniusNorm.of(x) + NORM_EPS);
        if (steps == 0) {
            return x.mul(scale);
        }
        boolean tall = x.rows() > x.columns();
        int rows = Math.toIntExact(x.rows());
        int cols = Math.toIntExact(x.columns());
        int n = Math.min(rows, cols);
        int m = Math.max(rows, cols);
        // Zero-filled once: BLAS with beta = 0 is allowed to read C, and fresh memory may hold NaN.
        INDArray gram = Nd4j.create(type, n, n);
        INDArray poly = Nd4j.create(type, n, n);
        INDArray out = Nd4j.create(type, rows, cols);
        INDArray spare = steps > 1 ? Nd4j.create(type, rows, cols) : null;
        for (int i = 0; i < steps; i++) {
            // Ping-pong so that the last iteration lands in `out`.
            INDArray next = (steps - 1 - i) % 2 == 0 ? out : spare;
            SymmetricBlas.syrkUpper(tall, n, m, scale * scale, x, 0.0, gram);          // A = X X^T
            mirrorUpperAndStartPolynomial(gram, poly, n);                              // P = a I + b A
            SymmetricBlas.syrkUpper(false, n, n, C, gram, 1.0, poly);                  // P += c A A^T (= c A A)
            SymmetricBlas.symmUpper(tall, rows, cols, scale, poly, x, 0.0, next);      // X = P X (Y = Y P)
            x = next;
            scale = 1.0;
        }
        return out;
    }

    /**
     * Multiply-add flops one iteration executes on X [n, m] (n &lt;= m): {@code syrk} X X^T n²m,
     * {@code syrk} A A n³, {@code symm} P X 2n²m; the dense count 4n²m + 2n³ is a third more for
     * a square X.
     */
    public static double executedFlopsPerIteration(long n, long m) {
        return 3.0 * n * n * m + 1.0 * n * n * n;
    }

    /**
     * One pass over the upper triangle of the Gram matrix A [n, n] that {@code syrk} wrote: copies it
     * to the lower triangle (the next {@code syrk} reads A whole) and writes P = a I + b A into P's
     * upper triangle.
     */
    private static void mirrorUpperAndStartPolynomial(INDArray gram, INDArray poly, int n) {
        if (gram.dataType() == DataType.FLOAT) {
            FloatBuffer a = gram.data().asNioFloat();
            FloatBuffer p = poly.data().asNioFloat();
            forUpperTriangle(n, (upper, lower) -> {
                float v = a.get(upper);
                a.put(lower, v);
                p.put(upper, (float) (B * v));
            });
            for (int i = 0; i < n; i++) p.put(i * n + i, (float) (p.get(i * n + i) + A));
        } else {
            DoubleBuffer a = gram.data().asNioDouble();
            DoubleBuffer p = poly.data().asNioDouble();
            forUpperTriangle(n, (upper, lower) -> {
                double v = a.get(upper);
                a.put(lower, v);
                p.put(upper, B * v);
            });
            for (int i = 0; i < n; i++) p.put(i * n + i, p.get(i * n + i) + A);
        }
    }

    /** Visits (i, j) with j &gt;= i of a row-major [n, n] matrix as indices of [i, j] and [j, i]. */
    private interface TrianglePair {
        void visit(int upper, int lower);
    }

    /** In square tiles, so that the column-wise writes to the lower triangle stay in cache. */
    private static void forUpperTriangle(int n, TrianglePair pair) {
        for (int ib = 0; ib < n; ib += TILE) {
            for (int jb = ib; jb < n; jb += TILE) {
                for (int i = ib, iEnd = Math.min(ib + TILE, n); i < iEnd; i++) {
                    for (int j = Math.max(jb, i), jEnd = Math.min(jb + TILE, n); j < jEnd; j++) {
                        pair.visit(i * n + j, j * n + i);
                    }
                }
            }
        }
    }
}
