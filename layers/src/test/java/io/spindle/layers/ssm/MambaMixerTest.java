package io.spindle.layers.ssm;

import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.Parameter;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.testing.FiniteDifference;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MambaMixerTest {

    /** dModel 12, dInner 72 (a full and a partial scan block of 64), 70 steps (three chunks of 32), 2 sequences. */
    @Test
    void backwardMatchesFiniteDifferences() {
        SplittableRandom random = new SplittableRandom(1);
        ParameterSet params = new ParameterSet();
        MambaMixer block = new MambaMixer(params, "m", new MambaMixer.Shape(12, 72, 4, 4, 3),
                Initializer.normal(0.3), Initializer.normal(0.2));
        params.allocate(2);
        int batch = 2, seq = 70;
        INDArray x = FiniteDifference.normal(random, 1, (long) batch * seq, 12);
        INDArray r = FiniteDifference.normal(random, 1, (long) batch * seq, 12);
        block.forward(x, batch, seq);
        INDArray dx = block.backward(r).dup();
        FiniteDifference.check("Mamba dx", x, dx, () -> FiniteDifference.dot(block.forward(x, batch, seq), r), 1e-2, 1e-3, random);
        for (Parameter p : params.parameters()) {
            FiniteDifference.check("Mamba d" + p.name(), p.value(), p.grad(),
                    () -> FiniteDifference.dot(block.forward(x, batch, seq), r), 1e-2, 2e-3, random);
        }
    }

    /**
     * Generation token by token through the convolution window and scan state gives the full
     * forward's outputs. The scan and convolution are bit-identical (SelectiveScanTest); the four
     * projections are BLAS products of 1 row instead of batch·seq rows, which may round differently.
     */
    @Test
    void stepsEqualTheFullSequence() {
        ParameterSet params = new ParameterSet();
        int batch = 2, seq = 30, d = 16;
        MambaMixer block = new MambaMixer(params, "m", MambaMixer.Shape.standard(d), Initializer.normal(0.3),
                Initializer.normal(0.2));
        params.allocate(3);
        INDArray x = FiniteDifference.normal(new SplittableRandom(4), 1, (long) batch * seq, d);
        INDArray y = block.forward(x, batch, seq).dup();
        RecurrentMixer.State state = block.start(batch);
        double maxErr = 0;
        for (int t = 0; t < seq; t++) {
            INDArray token = Nd4j.zeros(DataType.FLOAT, batch, d);
            for (int b = 0; b < batch; b++) token.putRow(b, x.getRow((long) b * seq + t));
            INDArray out = block.step(token, state);
            for (int b = 0; b < batch; b++) {
                for (int c = 0; c < d; c++) {
                    float want = y.getFloat((long) b * seq + t, c);
                    maxErr = Math.max(maxErr, Math.abs(want - out.getFloat(b, c)));
                    assertEquals(want, out.getFloat(b, c), 1e-5 * Math.max(1, Math.abs(want)), "t=" + t + " b=" + b + " c=" + c);
                }
            }
        }
        assertTrue(maxErr < 1e-5, "max |step - forward| " + maxErr);
    }

    @Test
    void standardShapeIsMambasDefault() {
        MambaMixer.Shape s = MambaMixer.Shape.standard(384);
        assertEquals(new MambaMixer.Shape(384, 768, 16, 4, 24), s);
    }

    @Test
    void initializationFollowsTheReference() {
        ParameterSet params = new ParameterSet();
        new MambaMixer(params, "m", new MambaMixer.Shape(8, 16, 4, 4, 2), Initializer.normal(0.02), Initializer.normal(0.02));
        params.allocate(5);
        INDArray aLog = params.get("m.A_log").value();
        for (int d = 0; d < 16; d++) for (int n = 0; n < 4; n++) assertEquals(Math.log(n + 1), aLog.getFloat(d, n), 1e-6);
        for (int d = 0; d < 16; d++) {
            double dt = Math.log1p(Math.exp(params.get("m.dt_bias").value().getFloat(d)));
            assertTrue(dt >= 1e-3 * 0.999 && dt <= 0.1 * 1.001, "softplus(dt_bias) = " + dt + " outside [0.001, 0.1]");
            assertEquals(1f, params.get("m.D").value().getFloat(d));
        }
    }

    @Test
    void wrongInputShapeIsNamed() {
        ParameterSet params = new ParameterSet();
        MambaMixer block = new MambaMixer(params, "m", MambaMixer.Shape.standard(8), Initializer.normal(0.02), Initializer.normal(0.02));
        params.allocate(1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> block.forward(Nd4j.zeros(DataType.FLOAT, 10, 8), 3, 4));
        assertTrue(e.getMessage().contains("[3*4, 8]"), e.getMessage());
    }
}
