package io.spindle.layers.ssm;

import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.Parameter;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.testing.FiniteDifference;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

class S4DMixerTest {

    @Test
    void backwardMatchesFiniteDifferences() {
        SplittableRandom random = new SplittableRandom(1);
        ParameterSet params = new ParameterSet();
        S4DMixer mixer = new S4DMixer(params, "m", 8, 8, S4DKernel.Init.LIN, Initializer.normal(0.3));
        params.allocate(2);
        INDArray x = FiniteDifference.normal(random, 1, 2 * 24, 8);
        INDArray r = FiniteDifference.normal(random, 1, 2 * 24, 8);
        mixer.forward(x, 2, 24);
        INDArray dx = mixer.backward(r).dup();
        FiniteDifference.check("S4D mixer dx", x, dx, () -> FiniteDifference.dot(mixer.forward(x, 2, 24), r), 1e-2, 1e-3, random);
        for (Parameter p : params.parameters()) {
            FiniteDifference.check("S4D mixer d" + p.name(), p.value(), p.grad(),
                    () -> FiniteDifference.dot(mixer.forward(x, 2, 24), r), 1e-2, 2e-3, random);
        }
    }

    @Test
    void stepsEqualTheFullSequence() {
        ParameterSet params = new ParameterSet();
        int batch = 3, seq = 20, d = 6;
        S4DMixer mixer = new S4DMixer(params, "m", d, 8, S4DKernel.Init.INV, Initializer.normal(0.3));
        params.allocate(3);
        INDArray x = FiniteDifference.normal(new SplittableRandom(4), 1, (long) batch * seq, d);
        INDArray y = mixer.forward(x, batch, seq).dup();
        RecurrentMixer.State state = mixer.start(batch);
        for (int t = 0; t < seq; t++) {
            INDArray token = org.nd4j.linalg.factory.Nd4j.zeros(org.nd4j.linalg.api.buffer.DataType.FLOAT, batch, d);
            for (int b = 0; b < batch; b++) token.putRow(b, x.getRow((long) b * seq + t));
            INDArray out = mixer.step(token, state);
            for (int b = 0; b < batch; b++) {
                for (int c = 0; c < d; c++) {
                    assertEquals(y.getFloat((long) b * seq + t, c), out.getFloat(b, c), 2e-5, "t=" + t + " b=" + b);
                }
            }
        }
    }
}
