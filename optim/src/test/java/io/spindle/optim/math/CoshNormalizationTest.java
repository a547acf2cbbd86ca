package io.spindle.optim.math;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CoshNormalizationTest {

    @Test
    void paperFormMatchesTheFormulaInDouble() {
        double[][] u = ReferenceMath.gaussian(new SplittableRandom(4), 3, 5);
        double[][] x = ReferenceMath.scale(u, 1 / (ReferenceMath.frobenius(u) + 1e-7));
        double[][] want = ReferenceMath.scale(x, 1 / (coshRms(x, 1) + 1e-8));
        double err = ReferenceMath.maxAbsDiff(want, CoshNormalization.paper(ReferenceMath.toFloat(u)));
        assertTrue(err < 1e-6, "max abs err " + err);
    }

    @Test
    void packageFormDividesTheUnnormalizedMomentum() {
        double[][] u = ReferenceMath.scale(ReferenceMath.gaussian(new SplittableRandom(8), 4, 2), 3.0);
        double[][] x = ReferenceMath.scale(u, 1 / (ReferenceMath.frobenius(u) + 1e-7));
        double[][] want = ReferenceMath.scale(u, 1 / (coshRms(x, 1.5) + 1e-8));
        double err = ReferenceMath.maxAbsDiff(want, CoshNormalization.packaged(ReferenceMath.toFloat(u), 1.5));
        assertTrue(err < 1e-5, "max abs err " + err);
    }

    @Test
    void zeroMomentumGivesZeroStepInBothForms() {
        INDArray zero = Nd4j.zeros(DataType.FLOAT, 2, 3);
        assertEquals(0.0, CoshNormalization.paper(zero).norm2Number().doubleValue());
        assertEquals(0.0, CoshNormalization.packaged(zero, 1.5).norm2Number().doubleValue());
    }

    @Test
    void rejectsNonPositiveGamma() {
        assertThrows(IllegalArgumentException.class,
                () -> CoshNormalization.packaged(Nd4j.ones(DataType.FLOAT, 2, 2), 0.0));
    }

    private static double coshRms(double[][] x, double gamma) {
        double s = 0;
        int n = 0;
        for (double[] row : x)
            for (double v : row) {
                double c = Math.cosh(gamma * v);
                s += c * c;
                n++;
            }
        return Math.sqrt(s / n);
    }
}
