package io.spindle.optim.math;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * AuON's normalization (arXiv:2509.24320): instead of orthogonalizing, the momentum is scaled by the
 * root mean of cosh^2 of its Frobenius-normalized entries, a cheap, smooth stand-in for Muon's
 * spectral normalization that bounds the update without an SVD or Newton–Schulz. The paper and the
 * authors' later optimizer class apply it differently; both forms are here, as the README asks.
 */
public final class CoshNormalization {
    /** Added to ||U||_F so a zero momentum does not divide by zero. */
    public static final double NORM_EPS = 1e-7;
    /** Added to the cosh root mean square before dividing by it. */
    public static final double RMS_EPS = 1e-8;

    private CoshNormalization() {}

    /** Paper form: X = U/(||U||_F + 1e-7); O = X/(sqrt(mean(cosh(X)^2)) + 1e-8). A new array. */
    public static INDArray paper(INDArray u) {
        INDArray x = u.div(u.norm2Number().doubleValue() + NORM_EPS);
        return x.divi(coshRms(x) + RMS_EPS);
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
        double norm = u.norm2Number().doubleValue();
        if (norm == 0) {
            return Nd4j.zeros(u.dataType(), u.shape());
        }
        INDArray x = u.mul(gamma / (norm + NORM_EPS));
        return u.div(coshRms(x) + RMS_EPS);
    }

    /** sqrt(mean(cosh(x)^2)), accumulated in double. */
    static double coshRms(INDArray x) {
        INDArray c = Transforms.cosh(x, true);
        return Math.sqrt(c.muli(c).meanNumber().doubleValue());
    }
}
