package io.spindle.optim.auon;

import io.spindle.optim.FlatParams;
import io.spindle.optim.ParamSlot;
import io.spindle.optim.ResumeCheck;
import io.spindle.optim.math.CoshNormalization;
import io.spindle.optim.math.NewtonSchulz;
import io.spindle.optim.math.ReferenceMath;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AuOnTest {
    private static final double BETA = 0.9;
    private static final double WD = 0.05;
    private static final double LR = 0.1;

    /** First step from zero momentum: U = (1 - beta^2) g, then each form's rule from the README. */
    @Test
    void firstStepFollowsEachForm() {
        for (AuOn.Form form : AuOn.Form.values()) {
            for (boolean hybrid : new boolean[] {false, true}) {
                FlatParams p = new FlatParams("w", "matrix", new long[] {6, 3});
                p.randomValues(new SplittableRandom(4));
                p.randomGrads(new SplittableRandom(5), 1.0);
                ParamSlot s = p.slots.get(0);
                double gamma = form == AuOn.Form.PACKAGE ? 1.5 : 1.0;
                INDArray u = s.grad().mul(1 - BETA * BETA);
                if (hybrid) u = ReferenceMath.toFloat(ReferenceMath.newtonSchulz(ReferenceMath.toDouble(u), 1));
                INDArray d = form == AuOn.Form.PAPER
                        ? CoshNormalization.paper(u).muli(Math.sqrt(2.0))
                        : CoshNormalization.packaged(u, gamma);
                INDArray want = s.value().mul(1 - LR * WD).subi(d.muli(LR));
                (hybrid ? new HybridAuOn(form, BETA, WD, gamma, 1) : new AuOn(form, BETA, WD, gamma)).step(p.slots, LR);
                double err = want.sub(s.value()).amaxNumber().doubleValue();
                assertTrue(err < 1e-6, form + (hybrid ? " hybrid" : "") + " max abs err " + err);
            }
        }
    }

    @Test
    void resumeIsBitExactInBothForms() {
        ResumeCheck.assertBitExactResume(() -> new AuOn(BETA, WD),
                () -> new FlatParams("a", "matrix", new long[] {5, 4}), 2, 2, LR);
        ResumeCheck.assertBitExactResume(() -> new HybridAuOn(AuOn.Form.PACKAGE, BETA, WD, 1.5, 1),
                () -> new FlatParams("a", "matrix", new long[] {3, 8}), 2, 2, LR);
    }

    @Test
    void rejectsVectorsAndPaperGamma() {
        FlatParams p = new FlatParams("emb.scale", "vector", new long[] {5});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new AuOn(BETA, WD).step(p.slots, LR));
        assertTrue(e.getMessage().contains("emb.scale"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new HybridAuOn(BETA, WD).step(p.slots, LR));
        assertThrows(IllegalArgumentException.class, () -> new AuOn(AuOn.Form.PAPER, BETA, WD, 1.5));
        assertThrows(IllegalArgumentException.class, () -> new HybridAuOn(AuOn.Form.PACKAGE, BETA, WD, 1.5, 0));
    }

    /** Sanity check on the helper used above: NS_1 of the reference and of production agree. */
    @Test
    void singleNewtonSchulzStepAgreesWithReference() {
        double[][] g = ReferenceMath.gaussian(new SplittableRandom(6), 6, 3);
        double err = ReferenceMath.maxAbsDiff(ReferenceMath.newtonSchulz(g, 1),
                NewtonSchulz.orthogonalize(ReferenceMath.toFloat(g), 1));
        assertTrue(err < 1e-6, "max abs err " + err);
    }
}
