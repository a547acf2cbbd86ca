package io.spindle.layers.norm;

import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.testing.FiniteDifference;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RMSNormTest {

    @Test
    void forwardDividesByRootMeanSquareAndScales() {
        SplittableRandom random = new SplittableRandom(5);
        ParameterSet params = new ParameterSet();
        RMSNorm norm = new RMSNorm(params, "n", 6, 1e-6);
        params.allocate(0);
        norm.gain().value().assign(FiniteDifference.normal(random, 1, 6));
        INDArray x = FiniteDifference.normal(random, 3, 4, 6);
        INDArray y = norm.forward(x);
        for (int r = 0; r < 4; r++) {
            double ss = 0;
            for (int c = 0; c < 6; c++) ss += Math.pow(x.getFloat(r, c), 2);
            double rms = Math.sqrt(ss / 6 + 1e-6);
            for (int c = 0; c < 6; c++) {
                assertEquals(x.getFloat(r, c) / rms * norm.gain().value().getFloat(c), y.getFloat(r, c), 1e-5);
            }
        }
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        SplittableRandom random = new SplittableRandom(6);
        ParameterSet params = new ParameterSet();
        RMSNorm norm = new RMSNorm(params, "n", 8, 1e-5);
        params.allocate(0);
        norm.gain().value().assign(FiniteDifference.normal(random, 1, 8));
        INDArray x = FiniteDifference.normal(random, 1, 5, 8);
        INDArray r = FiniteDifference.normal(random, 1, 5, 8);
        norm.forward(x);
        INDArray dx = norm.backward(r).dup();
        INDArray dg = norm.gain().grad().dup();
        FiniteDifference.check("RMSNorm dx", x, dx, () -> FiniteDifference.dot(norm.forward(x), r), 1e-3, 1e-3, random);
        FiniteDifference.check("RMSNorm dg", norm.gain().value(), dg,
                () -> FiniteDifference.dot(norm.forward(x), r), 1e-3, 1e-3, random);
    }
}
