package io.spindle.optim.math;

import io.spindle.optim.ContiguousFloats;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.FloatBuffer;

/**
 * AuON's normalization (arXiv:2509.24320): instead of orthogonalizing, the momentum is scaled by the
 * root mean of cosh^2 of its Frobenius-normalized entries, a cheap, smooth stand-in for Muon's
 * spectral normalization that bounds the update without an SVD or Newton–Schulz. The paper and the
 * authors' later optimizer class apply it differently; both forms are here, as the README asks.
 *
 * <p>Both forms are three passes over U in Java (sum of squares, sum of cosh^2, one scaled copy)
 * rather than a chain of ND4J ops with a temporary each: linear time is the point of AuON, and
 * the sums run in double. float32 is computed directly; other types are computed in float32 and
 * cast back.
 */
public final class CoshNormalization {
    /** Added to ||U||_F so a zero momentum does not divide by zero. */
    public static final double NORM_EPS = 1e-7;
    /** Added to the cosh root mean square before dividing by it. */
    public static final double RMS_EPS = 1e-8;

    private CoshNormalization() {}

    /** Paper form: X = U/(||U||_F + 1e-7); O = X/(sqrt(mean(cosh(X)^2)) + 1e-8). A new array. */
    public static INDArray paper(INDArray u) {
        if (u.dataType() != DataType.FLOAT) return paper(u.castTo(DataType.FLOAT)).castTo(u.dataType());
        INDArray src = ContiguousFloats.isRowMajorWithoutGaps(u) ? u : u.dup('c');
        double toUnit = 1.0 / (FrobeniusNorm.of(src) + NORM_EPS);
        return scaledCopy(src, toUnit / (coshRms(src, toUnit) + RMS_EPS));
    }

    /**
     * Package form: rho = sqrt(mean(cosh(gamma U/(||U||_F + 1e-7))^2)); O = U/(rho + 1e-8). U itself,
     * not its normalized copy, is divided, so the step keeps the momentum's magnitude. A new array;
     * zero when U is zero (the package then takes no step).
     */
    public static INDArray packaged(INDArray u, double gamma) {
        if (!(gamma > 0 && Double.isFinite(gamma))) {
            throw new IllegalArgumentException("AuON gamma=" + gamma + " must be positive and finite");
        }
        if (u.dataType() != DataType.FLOAT) return packaged(u.castTo(DataType.FLOAT), gamma).castTo(u.dataType());
        INDArray src = ContiguousFloats.isRowMajorWithoutGaps(u) ? u : u.dup('c');
        double norm = FrobeniusNorm.of(src);
        if (norm == 0) {
            return Nd4j.zeros(DataType.FLOAT, u.shape());
        }
        return scaledCopy(src, 1.0 / (coshRms(src, gamma / (norm + NORM_EPS)) + RMS_EPS));
    }

    /** sqrt(mean(cosh(scale u)^2)) over a dense float32 {@code u}, accumulated in double. */
    private static double coshRms(INDArray u, double scale) {
        FloatBuffer b = ContiguousFloats.buffer(u, "AuON momentum");
        int start = ContiguousFloats.start(u);
        int n = ContiguousFloats.length(u);
        double sum = 0;
        for (int i = start; i < start + n; i++) {
            // cosh from one exp (an intrinsic) instead of Math.cosh (fdlibm, several times slower).
            double e = Math.exp(scale * b.get(i));
            double c = 0.5 * (e + 1 / e);
            sum += c * c;
        }
        return Math.sqrt(sum / n);
    }

    /** factor · u as a new c-order float32 array of u's shape. */
    private static INDArray scaledCopy(INDArray u, double factor) {
        INDArray out = Nd4j.createUninitialized(DataType.FLOAT, u.shape(), 'c');
        FloatBuffer in = ContiguousFloats.buffer(u, "AuON momentum");
        FloatBuffer o = ContiguousFloats.buffer(out, "AuON direction");
        int start = ContiguousFloats.start(u);
        int outStart = ContiguousFloats.start(out);
        float f = (float) factor;
        for (int i = 0, n = ContiguousFloats.length(u); i < n; i++) o.put(outStart + i, in.get(start + i) * f);
        return out;
    }
}
