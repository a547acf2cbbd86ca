package io.spindle.optim.math;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

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

    private NewtonSchulz() {}

    /**
     * NS_k(G) for a 2-D {@code g} of shape [out, in], as a new c-order array of g's data type:
     * <pre>
     * X = G (G^T when out &gt; in, so that X X^T is the smaller Gram matrix)
     * X = X / (||X||_F + 1e-7)          (all singular values &lt;= 1, inside the quintic's basin)
     * k times: A = X X^T;  X = a X + (b A + c A A) X
     * transpose back when transposed
     * </pre>
     * The products run as BLAS gemm into three buffers allocated once per call.
     */
    public static INDArray orthogonalize(INDArray g, int steps) {
        if (g == null || g.rank() != 2) {
            throw new IllegalArgumentException("Newton-Schulz needs a 2-D matrix, got "
                    + (g == null ? "null" : "shape " + Arrays.toString(g.shape())));
        }
        if (steps < 0) {
            throw new IllegalArgumentException("Newton-Schulz steps=" + steps + " must be >= 0");
        }
        boolean transposed = g.rows() > g.columns();
        INDArray x = (transposed ? g.transpose() : g).dup('c');
        x.divi(x.norm2Number().doubleValue() + NORM_EPS);
        long n = x.rows();
        INDArray gram = Nd4j.create(x.dataType(), n, n);
        INDArray poly = Nd4j.create(x.dataType(), n, n);
        INDArray next = Nd4j.create(x.dataType(), x.rows(), x.columns());
        for (int i = 0; i < steps; i++) {
            Nd4j.gemm(x, x, gram, false, true, 1.0, 0.0);          // A = X X^T
            poly.assign(gram).muli(B);
            Nd4j.gemm(gram, gram, poly, false, false, C, 1.0);     // b A + c A A
            next.assign(x).muli(A);
            Nd4j.gemm(poly, x, next, false, false, 1.0, 1.0);      // a X + (b A + c A A) X
            INDArray swap = x;
            x = next;
            next = swap;
        }
        return transposed ? x.transpose().dup('c') : x;
    }
}
