package io.spindle.layers.testing;

import io.spindle.layers.core.Buffers;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Finite-difference checks of analytic gradients along random directions. Checking the
 * directional derivative {@code <grad, u>} against a finite difference of L along u
 * for a dense random u tests every element at once: a wrong entry anywhere changes the inner
 * product. The second direction, the analytic gradient itself, catches a gradient that is off
 * by a scale factor or points the wrong way even where a random u happens to be nearly orthogonal.
 */
public final class FiniteDifference {
    private FiniteDifference() {}

    /** Random normal float32 array, c-order. */
    public static INDArray normal(SplittableRandom random, double std, long... shape) {
        INDArray a = Buffers.zeros(shape);
        FloatBuffer b = Buffers.floats(a);
        for (int i = 0; i < a.length(); i++) b.put(i, (float) (gaussian(random) * std));
        return a;
    }

    /** sum(y * r) accumulated in double: the scalar whose gradient w.r.t. y is r. */
    public static double dot(INDArray y, INDArray r) {
        FloatBuffer yb = Buffers.floats(y);
        FloatBuffer rb = Buffers.floats(r);
        int yo = (int) y.offset();
        int ro = (int) r.offset();
        double s = 0;
        for (int i = 0; i < y.length(); i++) s += (double) yb.get(yo + i) * rb.get(ro + i);
        return s;
    }

    /**
     * Asserts that {@code analyticGrad} (same shape as {@code target}) is the gradient of
     * {@code loss} w.r.t. {@code target}, which is perturbed in place and restored.
     */
    public static void check(String name, INDArray target, INDArray analyticGrad, DoubleSupplier loss,
                             double eps, double relTol, SplittableRandom random) {
        check(name, target, analyticGrad, loss, eps, relTol, 0, random);
    }

    /**
     * As above, also accepting a directional derivative within {@code absTol} of the finite
     * difference: for losses whose float32 rounding, divided by the step, is not negligible against
     * a directional derivative that happens to be small.
     */
    public static void check(String name, INDArray target, INDArray analyticGrad, DoubleSupplier loss,
                             double eps, double relTol, double absTol, SplittableRandom random) {
        INDArray g = analyticGrad.dup();
        INDArray u = normal(random, 1.0, target.shape());
        compare(name + " (random direction)", target, g, u.div(u.amaxNumber()), loss, eps, relTol, absTol);
        double max = g.amaxNumber().doubleValue();
        assertTrue(max > 0, name + ": analytic gradient is identically zero");
        compare(name + " (gradient direction)", target, g, g.div(max), loss, eps, relTol, absTol);
    }

    private static void compare(String what, INDArray target, INDArray g, INDArray u, DoubleSupplier loss,
                                double eps, double relTol, double absTol) {
        double analytic = dot(g, u);
        double numeric = directionalDerivative(target, u, loss, eps);
        double diff = Math.abs(analytic - numeric);
        double err = diff / Math.max(Math.abs(analytic), Math.abs(numeric));
        assertTrue(err <= relTol || diff <= absTol, String.format(
                "%s: analytic %.8g vs finite difference %.8g (relative error %.3g > %.3g, absolute %.3g > %.3g)",
                what, analytic, numeric, err, relTol, diff, absTol));
    }

    /**
     * d loss / dt of {@code loss} at {@code target + t u}, t = 0, by the five-point stencil;
     * {@code target} is perturbed in place and restored. Truncation error O(eps^4), so eps can be
     * large enough that float32 rounding in the loss stays far below the tolerance.
     */
    public static double directionalDerivative(INDArray target, INDArray u, DoubleSupplier loss, double eps) {
        INDArray saved = target.dup();
        double[] at = new double[4];
        double[] steps = {2, 1, -1, -2};
        for (int i = 0; i < 4; i++) {
            target.assign(saved).addi(u.mul(steps[i] * eps));
            at[i] = loss.getAsDouble();
        }
        target.assign(saved);
        return (-at[0] + 8 * at[1] - 8 * at[2] + at[3]) / (12 * eps);
    }

    /** A copy of {@code a} as a float64 Java array, c-order. */
    public static double[] toDoubles(INDArray a) {
        return a.castTo(DataType.DOUBLE).dup('c').data().asDouble();
    }

    public static INDArray fromDoubles(double[] data, long... shape) {
        return Nd4j.create(data, shape, DataType.DOUBLE).castTo(DataType.FLOAT);
    }

    private static double gaussian(SplittableRandom random) {
        double u1 = 1.0 - random.nextDouble();
        return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * random.nextDouble());
    }
}
