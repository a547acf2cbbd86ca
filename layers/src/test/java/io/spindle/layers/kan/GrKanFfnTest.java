package io.spindle.layers.kan;

import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.Parameter;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.testing.FiniteDifference;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GrKanFfnTest {

    /**
     * Freshly built, R1 is the identity and R2 is GELU to within the fit's 3e-3 on [-3, 3] (the
     * pre-activations here stay inside it): the layer starts as a GELU MLP with biases.
     */
    @Test
    void startsAsAGeluMlp() {
        int rows = 20, dModel = 8, hidden = 32;
        ParameterSet params = new ParameterSet();
        GrKanFfn ffn = new GrKanFfn(params, "ffn", dModel, hidden, 4, Initializer.normal(0.2), Initializer.normal(0.2));
        params.allocate(7);
        params.get("ffn.fc1_bias").value().assign(FiniteDifference.normal(new SplittableRandom(2), 0.3, hidden));
        params.get("ffn.fc2_bias").value().assign(FiniteDifference.normal(new SplittableRandom(3), 0.3, dModel));
        INDArray x = FiniteDifference.normal(new SplittableRandom(1), 1, rows, dModel);
        INDArray y = ffn.forward(x);
        INDArray w1 = params.get("ffn.fc1").value(), b1 = params.get("ffn.fc1_bias").value();
        INDArray w2 = params.get("ffn.fc2").value(), b2 = params.get("ffn.fc2_bias").value();
        for (int r = 0; r < rows; r++) {
            double[] h = new double[hidden];
            for (int j = 0; j < hidden; j++) {
                double a = b1.getFloat(j);
                for (int i = 0; i < dModel; i++) a += (double) x.getFloat(r, i) * w1.getFloat(j, i);
                assertTrue(Math.abs(a) < 3, "pre-activation " + a + " outside the fitted range");
                h[j] = Gelu.value(a);
            }
            for (int o = 0; o < dModel; o++) {
                double s = b2.getFloat(o);
                for (int j = 0; j < hidden; j++) s += h[j] * w2.getFloat(o, j);
                assertEquals(s, y.getFloat(r, o), 1e-2, "row " + r + " output " + o);
            }
        }
    }

    /** Generation feeds one row at a time; a [1, dModel] array gives that row of a many-row forward. */
    @Test
    void oneRowGivesTheSameAsThatRowOfMany() {
        ParameterSet params = new ParameterSet();
        GrKanFfn ffn = new GrKanFfn(params, "ffn", 16, 32, 8, Initializer.normal(0.2), Initializer.normal(0.2));
        params.allocate(3);
        INDArray x = FiniteDifference.normal(new SplittableRandom(4), 1, 5, 16);
        INDArray all = ffn.forward(x).dup();
        INDArray one = ffn.forward(x.getRow(2, true).dup());
        assertTrue(all.getRow(2, true).equalsWithEps(one, 1e-6), all.getRow(2) + " vs " + one);
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        SplittableRandom random = new SplittableRandom(5);
        ParameterSet params = new ParameterSet();
        // 300 rows × 128 hidden: the rationals' loops run split over threads
        GrKanFfn ffn = new GrKanFfn(params, "ffn", 12, 128, 4, Initializer.normal(0.15), Initializer.normal(0.1));
        params.allocate(9);
        for (Parameter p : params.parameters()) {
            if (p.name().endsWith("bias")) p.value().assign(FiniteDifference.normal(random, 0.2, p.shape()));
            if (p.name().endsWith("num") || p.name().endsWith("den")) {
                p.value().assign(SmoothRationals.smooth(p.value().add(FiniteDifference.normal(random, 0.3, p.shape()))));
            }
        }
        // inputs of unit scale: the |x|^4 terms' fifth derivatives, the stencil's truncation error, stay small
        INDArray x = FiniteDifference.normal(random, 0.6, 300, 12);
        INDArray r = FiniteDifference.normal(random, 1, 300, 12);
        ffn.forward(x);
        INDArray dx = ffn.backward(r).dup();
        FiniteDifference.check("GR-KAN dx", x, dx, () -> FiniteDifference.dot(ffn.forward(x), r), 1e-2, 1e-3, random);
        for (Parameter p : params.parameters()) {
            // 2e-3: per coefficient the two agree to ~1e-4 (float32 through three layers), and a
            // random direction over coefficients of both signs cancels down to a smaller sum
            FiniteDifference.check("GR-KAN d" + p.name(), p.value(), p.grad(),
                    () -> FiniteDifference.dot(ffn.forward(x), r), 1e-2, 2e-3, random);
        }
    }
}
