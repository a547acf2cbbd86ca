package io.spindle.optim.routing;

import io.spindle.optim.schedule.Constant;
import io.spindle.optim.schedule.WarmupCosine;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GroupLearningRateTest {

    @Test
    void scaledMultipliesTheRunsRateWhateverTheStep() {
        GroupLearningRate lr = GroupLearningRate.scaled(40.0);
        // the exact product: a default config's group rate must not move by a rounding
        assertEquals(Double.doubleToLongBits(3e-3 * 40.0), Double.doubleToLongBits(lr.at(1, 3e-3)));
        assertEquals(Double.doubleToLongBits(7.25e-4 * 40.0), Double.doubleToLongBits(lr.at(999, 7.25e-4)));
        assertEquals(0.0, GroupLearningRate.scaled(0.0).at(5, 1e-3), 0);
    }

    @Test
    void ownScheduleIgnoresTheRunsRate() {
        // peak 0.04, warmup 4 of 20 steps, floor 0.004: by hand, linear then half a cosine
        GroupLearningRate lr = GroupLearningRate.own(new WarmupCosine(0.04, 4, 20, 0.004));
        assertEquals(0.01, lr.at(1, 123.0), 1e-15);
        assertEquals(0.04, lr.at(4, 123.0), 1e-15);
        assertEquals(0.004 + 0.036 * (1 + Math.cos(Math.PI * 6 / 16)) / 2, lr.at(10, 1e-3), 1e-15);
        assertEquals(0.004, lr.at(20, 1e-3), 1e-15);
        assertEquals(0.004, lr.at(25, 1e-3), 1e-15);
        assertEquals(0.5, GroupLearningRate.own(new Constant(0.5)).at(7, 1e-3), 0);
    }

    @Test
    void ownScheduleCountsStepsFromOne() {
        GroupLearningRate lr = GroupLearningRate.own(new Constant(0.5));
        assertThrows(IllegalArgumentException.class, () -> lr.at(0, 1e-3));
    }

    @Test
    void rejectsANegativeOrInfiniteFactorAndAMissingSchedule() {
        for (double bad : new double[] {-1.0, Double.NaN, Double.POSITIVE_INFINITY}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GroupLearningRate.scaled(bad));
            assertTrue(e.getMessage().contains(String.valueOf(bad)), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> GroupLearningRate.own(null));
    }

    @Test
    void describesItselfForTheGroupLog() {
        assertEquals("lr x2.0", GroupLearningRate.scaled(2.0).toString());
        assertTrue(GroupLearningRate.own(new Constant(0.5)).toString().startsWith("own schedule Constant"));
    }
}
