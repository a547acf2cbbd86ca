package io.spindle.layers.ffn;

import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.Parameter;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.testing.FiniteDifference;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SwiGLUTest {

    /** 64 rows × 600 hidden = 38400 activations: the elementwise loops split over threads. */
    @Test
    void forwardIsW2OfSiluW1xTimesW3x() {
        int rows = 64, dModel = 4, hidden = 600;
        ParameterSet params = new ParameterSet();
        SwiGLU ffn = new SwiGLU(params, "ffn", dModel, hidden, Initializer.normal(0.7), Initializer.normal(0.1));
        params.allocate(8);
        INDArray x = FiniteDifference.normal(new SplittableRandom(4), 1, rows, dModel);
        INDArray y = ffn.forward(x);
        INDArray w1 = params.get("ffn.w1").value(), w2 = params.get("ffn.w2").value(), w3 = params.get("ffn.w3").value();
        for (int r = 0; r < rows; r++) {
            double[] h = new double[hidden];
            for (int j = 0; j < hidden; j++) {
                double a = 0, b = 0;
                for (int i = 0; i < dModel; i++) {
                    a += (double) x.getFloat(r, i) * w1.getFloat(j, i);
                    b += (double) x.getFloat(r, i) * w3.getFloat(j, i);
                }
                h[j] = a / (1 + Math.exp(-a)) * b;
            }
            for (int o = 0; o < dModel; o++) {
                double s = 0;
                for (int j = 0; j < hidden; j++) s += h[j] * w2.getFloat(o, j);
                assertEquals(s, y.getFloat(r, o), 1e-4);
            }
        }
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        SplittableRandom random = new SplittableRandom(5);
        ParameterSet params = new ParameterSet();
        // 40 rows × 1000 hidden: the backward's elementwise loop runs split over threads too
        SwiGLU ffn = new SwiGLU(params, "ffn", 6, 1000, Initializer.normal(0.5), Initializer.normal(0.05));
        params.allocate(9);
        INDArray x = FiniteDifference.normal(random, 1, 40, 6);
        INDArray r = FiniteDifference.normal(random, 1, 40, 6);
        ffn.forward(x);
        INDArray dx = ffn.backward(r).dup();
        FiniteDifference.check("SwiGLU dx", x, dx, () -> FiniteDifference.dot(ffn.forward(x), r), 1e-2, 1e-3, random);
        for (Parameter p : params.parameters()) {
            FiniteDifference.check("SwiGLU d" + p.name(), p.value(), p.grad(),
                    () -> FiniteDifference.dot(ffn.forward(x), r), 1e-2, 1e-3, random);
        }
    }
}
