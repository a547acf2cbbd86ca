package io.spindle.layers.linear;

import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.ParameterRole;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.testing.FiniteDifference;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

class LinearTest {

    @Test
    void forwardIsXTimesWeightTransposed() {
        ParameterSet params = new ParameterSet();
        Linear linear = new Linear(params, "w", 3, 2, ParameterRole.MATRIX, Initializer.normal(1));
        params.allocate(3);
        INDArray x = FiniteDifference.normal(new SplittableRandom(1), 1, 4, 3);
        INDArray y = linear.forward(x);
        INDArray w = linear.weight().value();
        for (int r = 0; r < 4; r++) {
            for (int o = 0; o < 2; o++) {
                double s = 0;
                for (int i = 0; i < 3; i++) s += (double) x.getFloat(r, i) * w.getFloat(o, i);
                assertEquals(s, y.getFloat(r, o), 1e-5);
            }
        }
    }

    @Test
    void backwardMatchesFiniteDifferencesAndAccumulates() {
        SplittableRandom random = new SplittableRandom(9);
        ParameterSet params = new ParameterSet();
        Linear linear = new Linear(params, "w", 6, 5, ParameterRole.MATRIX, Initializer.normal(0.5));
        params.allocate(4);
        INDArray x = FiniteDifference.normal(random, 1, 7, 6);
        INDArray r = FiniteDifference.normal(random, 1, 7, 5);

        linear.forward(x);
        INDArray dx = linear.backward(r).dup();
        INDArray once = linear.weight().grad().dup();
        linear.forward(x);
        linear.backward(r);
        assertEquals(once.mul(2), linear.weight().grad(), "backward must add into the gradient, not overwrite it");
        linear.weight().grad().assign(once);

        FiniteDifference.check("Linear dx", x, dx, () -> FiniteDifference.dot(linear.forward(x), r), 1e-2, 1e-3, random);
        FiniteDifference.check("Linear dW", linear.weight().value(), once,
                () -> FiniteDifference.dot(linear.forward(x), r), 1e-2, 1e-3, random);
    }
}
