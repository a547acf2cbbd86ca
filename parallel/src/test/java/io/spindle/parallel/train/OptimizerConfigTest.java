package io.spindle.parallel.train;

import io.spindle.optim.offload.OffloadConfig;
import io.spindle.optim.routing.GroupLearningRate;
import io.spindle.optim.state.StateFormat;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The matrix group's learning rate: optim.matrixLrScale, optim.matrixWarmupSteps, optim.matrixFinalLrFraction. */
class OptimizerConfigTest {
    /** 10 steps, train.lr 1e-2 warming up over 1 step, down to train.minLr 1e-3. */
    private static final TrainingConfig TRAIN = new TrainingConfig(10, 2, 16, 1e-2, 1e-3, 1, 0.1, 0.9, 0.95, 1e-8, 1.0,
            5, 1, 5, 2, 1, 1, NonFinitePolicy.STOP);

    private static OptimizerConfig muon(double scale, int warmup, double fraction) {
        return new OptimizerConfig("muon", "paper", 0.95, 5, 0.95, 1.0, scale, 0.0, warmup, fraction, StateFormat.DENSE,
                OffloadConfig.DISABLED);
    }

    /** Warmup-cosine by hand: linear from 0 to peak over warmup steps, half a cosine to floor at step 10. */
    private static double byHand(double peak, int warmup, double floor, long step) {
        if (step <= warmup) return peak * step / warmup;
        double progress = (double) (step - warmup) / (10 - warmup);
        return floor + (peak - floor) * (1 + Math.cos(Math.PI * progress)) / 2;
    }

    @Test
    void withBothKeysAtMinusOneTheMatrixGroupScalesTheRunsRate() {
        OptimizerConfig o = new OptimizerConfig("muon", "paper", 0.95, 5, 0.95, 1.0, 40.0, 0.0);
        assertEquals(OptimizerConfig.FOLLOW_RUN, o.matrixWarmupSteps());
        assertEquals(OptimizerConfig.FOLLOW_RUN, o.matrixFinalLrFraction());
        assertEquals(GroupLearningRate.scaled(40.0), o.matrixLearningRate(TRAIN));
    }

    @Test
    void ownWarmupAndFinalFractionGiveAWarmupCosineOfTheirOwn() {
        GroupLearningRate lr = muon(40.0, 4, 0.05).matrixLearningRate(TRAIN);
        assertInstanceOf(GroupLearningRate.Own.class, lr);
        // peak 1e-2 x 40 = 0.4, floor 0.4 x 0.05 = 0.02, whatever the run's rate at the step
        for (long step = 1; step <= 12; step++) {
            assertEquals(byHand(0.4, 4, 0.02, Math.min(step, 10)), lr.at(step, 1e-9), 1e-15, "step " + step);
        }
        assertEquals(0.1, lr.at(1, 1e-9), 1e-15);
        assertEquals(0.4, lr.at(4, 1e-9), 1e-15);
        assertEquals(0.02, lr.at(10, 1e-9), 1e-15);
    }

    @Test
    void aKeyLeftAtMinusOneIsTakenFromTheRun() {
        // own warmup, the run's floor fraction train.minLr / train.lr = 0.1
        GroupLearningRate warmupOnly = muon(40.0, 0, -1).matrixLearningRate(TRAIN);
        for (long step = 1; step <= 10; step++) {
            assertEquals(byHand(0.4, 0, 0.04, step), warmupOnly.at(step, 1e-9), 1e-15, "step " + step);
        }
        // the run's warmup of 1 step, own floor 0
        GroupLearningRate fractionOnly = muon(2.0, -1, 0.0).matrixLearningRate(TRAIN);
        for (long step = 1; step <= 10; step++) {
            assertEquals(byHand(0.02, 1, 0.0, step), fractionOnly.at(step, 1e-9), 1e-15, "step " + step);
        }
    }

    @Test
    void warmupLongerThanTheRunIsRefusedWithTheFix() {
        OptimizerConfig o = muon(1.0, 11, -1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> o.checkAgainst(TRAIN));
        assertTrue(e.getMessage().contains("optim.matrixWarmupSteps=11") && e.getMessage().contains("train.steps=10")
                && e.getMessage().contains("at most 10"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> o.matrixLearningRate(TRAIN));
        muon(1.0, 10, -1).checkAgainst(TRAIN);
    }

    @Test
    void valuesOutsideTheirRangeAreRefusedNamingTheKey() {
        for (int bad : new int[] {-2, -100}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> muon(1.0, bad, -1));
            assertTrue(e.getMessage().contains("optim.matrixWarmupSteps=" + bad) && e.getMessage().contains("-1"),
                    e.getMessage());
        }
        for (double bad : new double[] {1.5, -0.5, -2.0, Double.NaN}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> muon(1.0, -1, bad));
            assertTrue(e.getMessage().contains("optim.matrixFinalLrFraction=" + bad)
                    && e.getMessage().contains("[0, 1]"), e.getMessage());
        }
        muon(1.0, 0, 0.0);
        muon(1.0, 0, 1.0);
    }
}
