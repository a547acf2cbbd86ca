package io.spindle.optim.lamb;

import io.spindle.optim.FlatParams;
import io.spindle.optim.ParamSlot;
import io.spindle.optim.ResumeCheck;
import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LambTest {
    private static final double B1 = 0.9, B2 = 0.999, EPS = 1e-6, WD = 0.01, LR = 0.01;

    /** Three steps against Algorithm 2 in plain double; bias (not decayed) and matrix (decayed). */
    @Test
    void matchesDoubleReference() {
        FlatParams p = new FlatParams("w", "matrix", new long[] {3, 4}, "b", "bias", new long[] {4});
        p.randomValues(new SplittableRandom(9));
        Lamb lamb = new Lamb(B1, B2, EPS, WD, Set.of(ParamSlot.MATRIX));
        double[][] w = new double[2][], m = new double[2][], v = new double[2][];
        for (int i = 0; i < 2; i++) {
            w[i] = toDouble(p.slots.get(i).value().dup().reshape(-1).toFloatVector());
            m[i] = new double[w[i].length];
            v[i] = new double[w[i].length];
        }
        for (int t = 1; t <= 3; t++) {
            p.randomGrads(new SplittableRandom(t), 0.5);
            for (int i = 0; i < 2; i++) {
                double[] g = toDouble(p.slots.get(i).grad().dup().reshape(-1).toFloatVector());
                double wd = i == 0 ? WD : 0;
                double[] u = new double[g.length];
                double wn = 0, un = 0;
                for (int k = 0; k < g.length; k++) {
                    m[i][k] = B1 * m[i][k] + (1 - B1) * g[k];
                    v[i][k] = B2 * v[i][k] + (1 - B2) * g[k] * g[k];
                    double r = (m[i][k] / (1 - Math.pow(B1, t))) / (Math.sqrt(v[i][k] / (1 - Math.pow(B2, t))) + EPS);
                    u[k] = r + wd * w[i][k];
                    wn += w[i][k] * w[i][k];
                    un += u[k] * u[k];
                }
                double trust = wn > 0 && un > 0 ? Math.sqrt(wn) / Math.sqrt(un) : 1;
                for (int k = 0; k < g.length; k++) w[i][k] -= LR * trust * u[k];
            }
            lamb.step(p.slots, LR);
        }
        for (int i = 0; i < 2; i++) {
            float[] got = p.slots.get(i).value().dup().reshape(-1).toFloatVector();
            for (int k = 0; k < got.length; k++) {
                assertEquals(w[i][k], got[k], 1e-5 * (1 + Math.abs(w[i][k])), p.slots.get(i).name() + "[" + k + "]");
            }
        }
        assertTrue(p.guardsIntact(), "an update wrote outside its parameter view");
    }

    /** ||w|| = 0: the trust ratio is 1, so the first step is lr times Adam's r (|r| close to 1 at t = 1). */
    @Test
    void zeroWeightsUseTrustOne() {
        FlatParams p = new FlatParams("w", "vector", new long[] {3});
        p.grads.assign(0);
        p.slots.get(0).grad().assign(org.nd4j.linalg.factory.Nd4j.createFromArray(2f, -3f, 0f));
        new Lamb(B1, B2, EPS, WD, Set.of()).step(p.slots, LR);
        float[] w = p.slots.get(0).value().toFloatVector();
        assertEquals(-LR, w[0], 1e-6);
        assertEquals(LR, w[1], 1e-6);
        assertEquals(0, w[2], 0);
    }

    @Test
    void resumeIsBitExact() {
        ResumeCheck.assertBitExactResume(() -> new Lamb(B1, B2, EPS, WD, Set.of(ParamSlot.MATRIX)),
                () -> new FlatParams("w", "matrix", new long[] {5, 3}, "g", "norm", new long[] {3}), 2, 2, LR);
    }

    @Test
    void rejectsBadHyperparameters() {
        assertThrows(IllegalArgumentException.class, () -> new Lamb(1.0, B2, EPS, WD, Set.of()));
        assertThrows(IllegalArgumentException.class, () -> new Lamb(B1, B2, 0, WD, Set.of()));
        assertThrows(IllegalArgumentException.class, () -> new Lamb(B1, B2, EPS, WD, Set.of("weights")));
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }
}
