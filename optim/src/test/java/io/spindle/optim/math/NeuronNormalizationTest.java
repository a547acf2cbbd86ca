package io.spindle.optim.math;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class NeuronNormalizationTest {

    @Test
    void withBeta2ZeroEveryRowGetsTheSameRmsAndTheNormIsKept() {
        double[][] o = ReferenceMath.gaussian(new SplittableRandom(2), 5, 7);
        for (int j = 0; j < 7; j++) o[3][j] *= 20; // one loud neuron
        INDArray x = ReferenceMath.toFloat(o);
        double norm = ReferenceMath.frobenius(o);
        NeuronNormalization.normalize(x, Nd4j.zeros(DataType.FLOAT, 5, 1), 0.0);
        double[][] got = ReferenceMath.toDouble(x);
        double rms0 = rowRms(got[0]);
        for (double[] row : got) assertEquals(rms0, rowRms(row), 1e-4 * rms0);
        assertEquals(norm, ReferenceMath.frobenius(got), 1e-4 * norm);
    }

    @Test
    void secondMomentIsAnEmaOfRowMeanSquares() {
        INDArray o = Nd4j.createFromArray(new float[][] {{1, 1}, {2, 0}});
        INDArray v = Nd4j.createFromArray(new float[][] {{4}, {0}});
        NeuronNormalization.normalize(o, v, 0.75);
        // row means of O^2 are 1 and 2: V = V + 0.25 (mean - V)
        assertEquals(3.25, v.getDouble(0, 0), 1e-6);
        assertEquals(0.5, v.getDouble(1, 0), 1e-6);
    }

    @Test
    void rejectsMismatchedSecondMoment() {
        assertThrows(IllegalArgumentException.class, () -> NeuronNormalization.normalize(
                Nd4j.zeros(DataType.FLOAT, 3, 2), Nd4j.zeros(DataType.FLOAT, 2, 1), 0.9));
    }

    private static double rowRms(double[] row) {
        double s = 0;
        for (double v : row) s += v * v;
        return Math.sqrt(s / row.length);
    }
}
