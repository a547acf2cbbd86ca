package io.spindle.optim.clip;

import io.spindle.optim.ContiguousFloats;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;

/**
 * Clipping by the global L2 norm of all gradients (Pascanu et al. 2013), over the flat gradient
 * buffer so one rank clips its whole model in two Java passes. Sums of squares are accumulated in
 * double: float accumulation over millions of elements loses the small terms.
 */
public final class GradientClipping {
    /**
     * Added to the norm before dividing, as {@code torch.nn.utils.clip_grad_norm_} does, so a
     * clipped gradient's norm lands just under {@code maxNorm} rather than a rounding error above.
     */
    static final double NORM_EPS = 1e-6;

    private GradientClipping() {}

    /**
     * Scales {@code flatGrads} in place so its L2 norm is at most {@code maxNorm}, and returns the
     * norm before clipping. {@code maxNorm <= 0} disables clipping. A non-finite norm (an overflowed
     * or NaN gradient) leaves the gradients as they are: scaling would zero or poison them and hide
     * the fault, so the caller sees it in the returned norm and skips the step.
     */
    public static double clipGlobalNorm(INDArray flatGrads, double maxNorm) {
        if (Double.isNaN(maxNorm)) {
            throw new IllegalArgumentException("maxNorm is NaN; use a value <= 0 to disable clipping");
        }
        double norm = globalNorm(flatGrads);
        clipToNorm(flatGrads, norm, maxNorm);
        return norm;
    }

    /**
     * Scales {@code flatGrads} in place by {@code maxNorm / norm} when {@code norm}, the global norm
     * computed by the caller (e.g. over gradients split across tensor-parallel ranks), exceeds
     * {@code maxNorm}; the same rules as {@link #clipGlobalNorm} otherwise.
     */
    public static void clipToNorm(INDArray flatGrads, double norm, double maxNorm) {
        if (Double.isNaN(maxNorm)) {
            throw new IllegalArgumentException("maxNorm is NaN; use a value <= 0 to disable clipping");
        }
        if (maxNorm > 0 && Double.isFinite(norm) && norm > maxNorm) {
            scale(flatGrads, (float) (maxNorm / (norm + NORM_EPS)));
        }
    }

    /** The L2 norm of all elements of {@code flatGrads} (a float32 row-major array or view). */
    public static double globalNorm(INDArray flatGrads) {
        return Math.sqrt(sumOfSquares(flatGrads));
    }

    /** The sum of squares of all elements of {@code x} (a float32 row-major array or view), in double. */
    public static double sumOfSquares(INDArray x) {
        FloatBuffer b = ContiguousFloats.buffer(x, "gradients");
        int start = ContiguousFloats.start(x);
        int end = start + ContiguousFloats.length(x);
        double sum = 0;
        for (int i = start; i < end; i++) {
            double v = b.get(i);
            sum += v * v;
        }
        return sum;
    }

    /** True when no element of {@code x} is NaN or infinite. */
    public static boolean allFinite(INDArray x) {
        FloatBuffer b = ContiguousFloats.buffer(x, "array");
        int start = ContiguousFloats.start(x);
        int end = start + ContiguousFloats.length(x);
        for (int i = start; i < end; i++) {
            if (!Float.isFinite(b.get(i))) return false;
        }
        return true;
    }

    private static void scale(INDArray x, float factor) {
        FloatBuffer b = x.data().asNioFloat();
        int start = ContiguousFloats.start(x);
        int end = start + ContiguousFloats.length(x);
        for (int i = start; i < end; i++) {
            b.put(i, b.get(i) * factor);
        }
    }
}
