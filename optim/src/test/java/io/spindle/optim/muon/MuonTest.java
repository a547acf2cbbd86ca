package io.spindle.optim.muon;

import io.spindle.optim.FlatParams;
import io.spindle.optim.ParamSlot;
import io.spindle.optim.ResumeCheck;
import io.spindle.optim.math.ReferenceMath;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MuonTest {
    private static final double BETA = 0.9;
    private static final double WD = 0.1;
    private static final double LR = 0.05;

    /** Two steps against the README's formulas in plain double (tall and wide matrices). */
    @Test
    void matchesDoubleReference() {
        FlatParams p = new FlatParams("tall", "matrix", new long[] {6, 4}, "wide", "matrix", new long[] {3, 5});
        p.randomValues(new SplittableRandom(3));
        Muon muon = new Muon(BETA, WD);
        for (ParamSlot s : p.slots) {
            double[][] w = ReferenceMath.toDouble(s.value());
            double[][] m = new double[w.length][w[0].length];
            for (int t = 0; t < 2; t++) {
                double[][] g = ReferenceMath.gaussian(new SplittableRandom(10 + t), w.length, w[0].length);
                s.grad().assign(ReferenceMath.toFloat(g));
                m = ReferenceMath.add(ReferenceMath.scale(m, BETA), ReferenceMath.scale(g, 1 - BETA));
                double[][] u = ReferenceMath.add(ReferenceMath.scale(g, 1 - BETA), ReferenceMath.scale(m, BETA));
                double scale = Math.sqrt(Math.max(1.0, (double) w.length / w[0].length));
                double[][] o = ReferenceMath.scale(ReferenceMath.newtonSchulz(u, 5), scale);
                w = ReferenceMath.add(ReferenceMath.scale(w, 1 - LR * WD), ReferenceMath.scale(o, -LR));
                muon.step(p.slots, LR);
            }
            double err = ReferenceMath.maxAbsDiff(w, s.value());
            assertTrue(err < 1e-5, s.name() + " max abs err " + err);
            muon = new Muon(BETA, WD);
            p.randomValues(new SplittableRandom(3));
        }
        assertTrue(p.guardsIntact(), "an update wrote outside its parameter view");
    }

    @Test
    void stateIsOneMomentumPerMatrixAndTheStep() {
        FlatParams p = new FlatParams("w", "matrix", new long[] {4, 3});
        Muon muon = new Muon(BETA, WD);
        p.randomGrads(new SplittableRandom(1), 1.0);
        muon.step(p.slots, LR);
        assertEquals(Set.of("step", "w/momentum"), muon.state().keySet());
        assertEquals(1L, muon.stepCount());
        INDArray momentum = muon.state().get("w/momentum");
        assertArrayEquals(flat(p.slots.get(0).grad().mul(1 - BETA)), flat(momentum), 1e-7f);
    }

    @Test
    void resumeIsBitExact() {
        ResumeCheck.assertBitExactResume(() -> new Muon(BETA, WD),
                () -> new FlatParams("a", "matrix", new long[] {8, 5}, "b", "matrix", new long[] {5, 7}), 3, 2, LR);
    }

    @Test
    void rejectsVectorParameterByName() {
        FlatParams p = new FlatParams("w", "matrix", new long[] {4, 3}, "ln.gain", "norm", new long[] {4});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Muon(BETA, WD).step(p.slots, LR));
        assertTrue(e.getMessage().contains("ln.gain") && e.getMessage().contains("[4]"), e.getMessage());
    }

    @Test
    void rejectsBadHyperparameters() {
        assertThrows(IllegalArgumentException.class, () -> new Muon(1.0, WD));
        assertThrows(IllegalArgumentException.class, () -> new Muon(BETA, -0.1));
        assertThrows(IllegalArgumentException.class, () -> new Muon(BETA, true, 0, WD));
    }

    /** Without Nesterov the orthogonalized direction is that of M itself. */
    @Test
    void plainMomentumOrthogonalizesTheBuffer() {
        INDArray m = ReferenceMath.toFloat(new double[][] {{1, 2}, {3, 4}});
        INDArray g = ReferenceMath.toFloat(new double[][] {{2, 0}, {0, 2}});
        INDArray u = MatrixMomentumOptimizer.nesterovMomentum(m, g, 0.5, false);
        assertArrayEquals(new float[] {1.5f, 1f, 1.5f, 3f}, flat(m), 1e-6f);
        assertArrayEquals(flat(m), flat(u));
        INDArray un = MatrixMomentumOptimizer.nesterovMomentum(m.dup(), g, 0.5, true);
        // M' = (1.75, 0.5, 0.75, 2.5); U = g + 0.5 (M' - g)
        assertArrayEquals(new float[] {1.875f, 0.25f, 0.375f, 2.25f}, flat(un), 1e-6f);
    }

    static float[] flat(INDArray x) {
        return x.dup('c').reshape(x.length()).toFloatVector();
    }
}
