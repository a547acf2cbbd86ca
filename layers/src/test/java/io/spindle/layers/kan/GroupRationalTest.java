package io.spindle.layers.kan;

import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.Parameter;
import io.spindle.layers.core.ParameterRole;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.testing.FiniteDifference;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GroupRationalTest {

    private static void randomize(Parameter p, SplittableRandom random, double std) {
        p.value().assign(FiniteDifference.normal(random, std, p.shape()));
    }

    /** 300 rows × 96 channels: the forward splits over threads; every channel uses its group's coefficients. */
    @Test
    void forwardIsTheGroupsSafePade() {
        SplittableRandom random = new SplittableRandom(1);
        int rows = 300, channels = 96, groups = 4;
        ParameterSet params = new ParameterSet();
        GroupRational unit = new GroupRational(params, "r", channels, groups, RationalStart.GELU);
        params.allocate(3);
        randomize(unit.numerator(), random, 0.5);
        randomize(unit.denominator(), random, 0.5);
        INDArray x = FiniteDifference.normal(random, 1.5, rows, channels);
        INDArray y = unit.forward(x);
        double[] num = FiniteDifference.toDoubles(unit.numerator().value());
        double[] den = FiniteDifference.toDoubles(unit.denominator().value());
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < channels; c++) {
                int g = c / (channels / groups);
                double v = x.getFloat(r, c);
                double p = 0, q = 1;
                for (int i = 0; i < 6; i++) p += num[g * 6 + i] * Math.pow(v, i);
                for (int j = 1; j <= 4; j++) q += Math.abs(den[g * 4 + j - 1]) * Math.pow(Math.abs(v), j);
                assertEquals(p / q, y.getFloat(r, c), 1e-5 * Math.max(1, Math.abs(p / q)), "row " + r + " channel " + c);
            }
        }
    }

    /** 500 rows × 64 channels, bias on: the backward splits over threads and flushes its sums several times. */
    @Test
    void backwardMatchesFiniteDifferences() {
        SplittableRandom random = new SplittableRandom(2);
        int rows = 500, channels = 64;
        ParameterSet params = new ParameterSet();
        GroupRational unit = new GroupRational(params, "r", channels, 8, RationalStart.GELU);
        Parameter bias = params.add("bias", new long[] {channels}, ParameterRole.BIAS, Initializer.normal(0.3));
        params.allocate(4);
        randomize(unit.numerator(), random, 0.3);
        randomize(unit.denominator(), random, 0.5);
        INDArray x = FiniteDifference.normal(random, 1, rows, channels);
        INDArray r = FiniteDifference.normal(random, 1, rows, channels);
        unit.forward(x, bias);
        INDArray dx = unit.backward(r).dup();
        FiniteDifference.check("rational dx", x, dx, () -> FiniteDifference.dot(unit.forward(x, bias), r), 1e-2, 1e-3, random);
        for (Parameter p : params.parameters()) {
            FiniteDifference.check("rational d" + p.name(), p.value(), p.grad(),
                    () -> FiniteDifference.dot(unit.forward(x, bias), r), 1e-3, 1e-3, random);
        }
    }

    /** Gradients accumulate: a second backward adds the same amount again. */
    @Test
    void backwardAddsToParameterGradients() {
        SplittableRandom random = new SplittableRandom(3);
        ParameterSet params = new ParameterSet();
        GroupRational unit = new GroupRational(params, "r", 16, 2, RationalStart.GELU);
        params.allocate(5);
        INDArray x = FiniteDifference.normal(random, 1, 10, 16);
        INDArray r = FiniteDifference.normal(random, 1, 10, 16);
        unit.forward(x);
        unit.backward(r);
        INDArray once = unit.numerator().grad().dup();
        unit.backward(r);
        INDArray twice = unit.numerator().grad();
        assertTrue(once.mul(2).equalsWithEps(twice, 1e-5), once + " vs " + twice);
    }

    @Test
    void groupsMustDivideChannels() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new GroupRational(new ParameterSet(), "ffn.rational2", 10, 4, RationalStart.GELU));
        assertTrue(e.getMessage().contains("groups=4 must be positive and divide channels=10"), e.getMessage());
    }

    @Test
    void wrongInputWidthIsNamed() {
        ParameterSet params = new ParameterSet();
        GroupRational unit = new GroupRational(params, "r", 8, 2, RationalStart.IDENTITY);
        params.allocate(1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> unit.forward(FiniteDifference.normal(new SplittableRandom(1), 1, 3, 6)));
        assertTrue(e.getMessage().contains("[rows, 8]"), e.getMessage());
    }
}
