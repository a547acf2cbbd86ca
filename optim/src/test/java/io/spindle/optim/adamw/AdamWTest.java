package io.spindle.optim.adamw;

import io.spindle.optim.FlatParams;
import io.spindle.optim.ParamSlot;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AdamWTest {
    private static final double B1 = 0.9;
    private static final double B2 = 0.95;
    private static final double EPS = 1e-8;
    private static final double WD = 0.1;

    /** Every role group, at non-zero offsets; w1 spans more than one of the update's 2048-element chunks. */
    private static FlatParams model() {
        return new FlatParams(
                "embed", ParamSlot.EMBEDDING, new long[] {7, 4},
                "w1", ParamSlot.MATRIX, new long[] {4, 1100},
                "norm", ParamSlot.NORM, new long[] {4},
                "b", ParamSlot.BIAS, new long[] {1100},
                "head", ParamSlot.HEAD, new long[] {7, 4});
    }

    @Test
    void firstStepMovesEachWeightByLearningRateTowardsMinusGradient() {
        // At t = 1 the bias corrections make m_hat = g and v_hat = g^2, so the step is lr g / (|g| + eps).
        INDArray w = Nd4j.createFromArray(0.5f, -1.0f, 2.0f, 0.0f);
        INDArray g = Nd4j.createFromArray(0.3f, -0.02f, 4.0f, -1e-3f);
        double lr = 0.01;
        double[] w0 = w.toDoubleVector();
        double[] g0 = g.toDoubleVector();
        AdamW.update(w, g, Nd4j.zeros(DataType.FLOAT, 4), Nd4j.zeros(DataType.FLOAT, 4), 1, lr, B1, B2, EPS, WD);
        for (int i = 0; i < 4; i++) {
            double want = w0[i] * (1 - lr * WD) - lr * g0[i] / (Math.abs(g0[i]) + EPS);
            assertEquals(want, w.getDouble(i), 1e-6, "element " + i);
        }
    }

    @Test
    void matchesDoublePrecisionRecomputationOverManySteps() {
        FlatParams p = model();
        SplittableRandom random = new SplittableRandom(7);
        p.randomValues(random);
        Map<String, double[]> w = new HashMap<>();
        Map<String, double[]> m = new HashMap<>();
        Map<String, double[]> v = new HashMap<>();
        for (ParamSlot s : p.slots) {
            w.put(s.name(), doubles(s.value()));
            m.put(s.name(), new double[(int) s.size()]);
            v.put(s.name(), new double[(int) s.size()]);
        }
        AdamW adamw = new AdamW(B1, B2, EPS, WD);
        for (int t = 1; t <= 12; t++) {
            double lr = 1e-2 / t;
            p.randomGrads(random, t % 3 == 0 ? 1e-3 : 0.5);
            for (ParamSlot s : p.slots) {
                boolean decays = Set.of("embedding", "matrix", "head").contains(s.role());
                reference(w.get(s.name()), doubles(s.grad()), m.get(s.name()), v.get(s.name()),
                        t, lr, decays ? WD : 0.0);
            }
            adamw.step(p.slots, lr);
            for (ParamSlot s : p.slots) {
                assertClose(w.get(s.name()), s.value(), s.name() + " after step " + t);
            }
        }
        Map<String, INDArray> state = adamw.state();
        for (ParamSlot s : p.slots) {
            assertClose(m.get(s.name()), state.get(s.name() + "/m"), s.name() + "/m");
            assertClose(v.get(s.name()), state.get(s.name() + "/v"), s.name() + "/v");
        }
        assertEquals(12, adamw.stepCount());
        assertTrue(p.guardsIntact(), "an update wrote outside its parameter view");
    }

    @Test
    void weightDecayReachesOnlyTheDecayedRoles() {
        // With zero gradients m = v = 0 and the Adam term vanishes, leaving only the decay.
        FlatParams p = model();
        p.randomValues(new SplittableRandom(3));
        Map<String, float[]> before = new HashMap<>();
        for (ParamSlot s : p.slots) before.put(s.name(), s.value().dup().data().asFloat());
        double lr = 0.5;
        new AdamW(B1, B2, EPS, WD).step(p.slots, lr);
        for (ParamSlot s : p.slots) {
            float[] got = s.value().dup().data().asFloat();
            boolean decays = Set.of("embedding", "matrix", "head").contains(s.role());
            for (int i = 0; i < got.length; i++) {
                float w0 = before.get(s.name())[i];
                String where = s.name() + "[" + i + "] role " + s.role();
                if (decays) {
                    assertEquals(w0 * (1 - lr * WD), got[i], 1e-6 * Math.abs(w0), where);
                } else {
                    assertEquals(w0, got[i], where);
                }
            }
        }
    }

    @Test
    void resumedRunIsBitIdenticalToAnUninterruptedOne() {
        FlatParams straight = model();
        FlatParams resumed = model();
        straight.randomValues(new SplittableRandom(11));
        resumed.randomValues(new SplittableRandom(11));
        SplittableRandom gradsA = new SplittableRandom(12);
        SplittableRandom gradsB = new SplittableRandom(12);

        AdamW a = new AdamW(B1, B2, EPS, WD);
        for (int t = 1; t <= 8; t++) {
            straight.randomGrads(gradsA, 0.1);
            a.step(straight.slots, 1e-2);
        }
        AdamW first = new AdamW(B1, B2, EPS, WD);
        for (int t = 1; t <= 5; t++) {
            resumed.randomGrads(gradsB, 0.1);
            first.step(resumed.slots, 1e-2);
        }
        Map<String, INDArray> saved = first.state();
        AdamW second = new AdamW(B1, B2, EPS, WD);
        second.loadState(saved);
        assertEquals(5, second.stepCount());
        for (int t = 6; t <= 8; t++) {
            resumed.randomGrads(gradsB, 0.1);
            second.step(resumed.slots, 1e-2);
        }

        assertEquals(8, second.stepCount());
        assertArrayEquals(straight.values.data().asFloat(), resumed.values.data().asFloat());
        Map<String, INDArray> stateA = a.state();
        Map<String, INDArray> stateB = second.state();
        assertEquals(stateA.keySet(), stateB.keySet());
        for (String name : stateA.keySet()) {
            assertEquals(stateA.get(name), stateB.get(name), name);
        }
    }

    @Test
    void loadStateRejectsATensorOfTheWrongShapeAndNamesIt() {
        FlatParams p = model();
        AdamW adamw = new AdamW(B1, B2, EPS, WD);
        p.randomGrads(new SplittableRandom(1), 0.1);
        adamw.step(p.slots, 1e-3);
        Map<String, INDArray> state = new HashMap<>(adamw.state());
        state.put("w1/m", Nd4j.zeros(DataType.FLOAT, 5, 4));
        state.put("w1/v", Nd4j.zeros(DataType.FLOAT, 5, 4));

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> adamw.loadState(state));
        assertTrue(e.getMessage().contains("w1/m") && e.getMessage().contains("[5, 4]"), e.getMessage());
        assertEquals(1, adamw.stepCount(), "a rejected load must leave the state as it was");
    }

    @Test
    void freshOptimizerRejectsLoadedStateThatDoesNotFitTheParameters() {
        FlatParams p = model();
        AdamW writer = new AdamW(B1, B2, EPS, WD);
        writer.step(p.slots, 1e-3);
        Map<String, INDArray> state = new HashMap<>(writer.state());
        state.put("norm/m", Nd4j.zeros(DataType.FLOAT, 3));
        state.put("norm/v", Nd4j.zeros(DataType.FLOAT, 3));

        AdamW reader = new AdamW(B1, B2, EPS, WD);
        reader.loadState(state);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> reader.step(p.slots, 1e-3));
        assertTrue(e.getMessage().contains("norm/m") && e.getMessage().contains("[3]"), e.getMessage());
    }

    @Test
    void stepRejectsADifferentSetOfParameters() {
        FlatParams p = model();
        AdamW adamw = new AdamW(B1, B2, EPS, WD);
        adamw.step(p.slots, 1e-3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> adamw.step(List.of(p.slots.get(0), p.slots.get(1)), 1e-3));
        assertTrue(e.getMessage().contains("head"), e.getMessage());
    }

    @Test
    void rejectsInvalidHyperparameters() {
        assertMessage(() -> new AdamW(1.0, B2, EPS, WD), "beta1");
        assertMessage(() -> new AdamW(B1, -0.1, EPS, WD), "beta2");
        assertMessage(() -> new AdamW(B1, B2, 0.0, WD), "eps");
        assertMessage(() -> new AdamW(B1, B2, EPS, -1), "weightDecay");
        assertMessage(() -> new AdamW(B1, B2, EPS, WD, Set.of("weights")), "weights");
        AdamW adamw = new AdamW(B1, B2, EPS, WD);
        assertMessage(() -> adamw.step(model().slots, Double.NaN), "learning rate");
    }

    @Test
    void updateRejectsMomentsOfAnotherShape() {
        INDArray w = Nd4j.zeros(DataType.FLOAT, 2, 3);
        assertMessage(() -> AdamW.update(w, w.dup(), Nd4j.zeros(DataType.FLOAT, 3, 2), w.dup(), 1, 1e-3, B1, B2, EPS, WD),
                "first moment");
    }

    /** The AdamW formula of the golden README, in double. */
    private static void reference(double[] w, double[] g, double[] m, double[] v, int t, double lr, double wd) {
        for (int i = 0; i < w.length; i++) {
            m[i] = B1 * m[i] + (1 - B1) * g[i];
            v[i] = B2 * v[i] + (1 - B2) * g[i] * g[i];
            double mHat = m[i] / (1 - Math.pow(B1, t));
            double vHat = v[i] / (1 - Math.pow(B2, t));
            w[i] = w[i] * (1 - lr * wd) - lr * mHat / (Math.sqrt(vHat) + EPS);
        }
    }

    private static void assertClose(double[] want, INDArray got, String what) {
        double[] g = doubles(got);
        assertEquals(want.length, g.length, what + " length");
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], g[i], 1e-6 + 1e-5 * Math.abs(want[i]), what + "[" + i + "]");
        }
    }

    /** Row-major elements of any array or view, in double. */
    private static double[] doubles(INDArray x) {
        return x.castTo(DataType.DOUBLE).dup('c').data().asDouble();
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable call, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
