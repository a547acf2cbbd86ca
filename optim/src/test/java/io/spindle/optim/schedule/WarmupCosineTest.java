package io.spindle.optim.schedule;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WarmupCosineTest {
    private final WarmupCosine schedule = new WarmupCosine(1e-3, 10, 110, 1e-4);

    @Test
    void warmsUpLinearlyFromZero() {
        assertEquals(1e-4, schedule.lr(1), 1e-15);
        assertEquals(5e-4, schedule.lr(5), 1e-15);
        assertEquals(1e-3, schedule.lr(10), 1e-15);
    }

    @Test
    void decaysAlongHalfACosineToTheMinimum() {
        // Halfway through the decay (step 60 of 10..110) the cosine term is 1/2.
        assertEquals(5.5e-4, schedule.lr(60), 1e-15);
        // A quarter of the way: min + (peak - min) (1 + cos(pi/4)) / 2.
        assertEquals(1e-4 + 9e-4 * (1 + Math.sqrt(0.5)) / 2, schedule.lr(35), 1e-15);
        assertEquals(1e-4, schedule.lr(110), 1e-15);
        double previous = schedule.lr(10);
        for (long step = 11; step <= 110; step++) {
            double lr = schedule.lr(step);
            assertTrue(lr < previous, "not decreasing at step " + step);
            previous = lr;
        }
    }

    @Test
    void staysAtTheMinimumAfterTheLastStep() {
        assertEquals(1e-4, schedule.lr(111), 0);
        assertEquals(1e-4, schedule.lr(1_000_000), 0);
    }

    @Test
    void withoutWarmupStartsDecayingAtStepOne() {
        WarmupCosine noWarmup = new WarmupCosine(1.0, 0, 4, 0.0);
        assertEquals(0.5 * (1 + Math.cos(Math.PI / 4)), noWarmup.lr(1), 1e-15);
        assertEquals(0.0, noWarmup.lr(4), 0);
    }

    @Test
    void validatesItsArguments() {
        assertMessage(() -> new WarmupCosine(0, 10, 100, 0), "peakLr=0.0");
        assertMessage(() -> new WarmupCosine(1e-3, 10, 100, 2e-3), "minLr=0.002");
        assertMessage(() -> new WarmupCosine(1e-3, -1, 100, 0), "warmupSteps=-1");
        assertMessage(() -> new WarmupCosine(1e-3, 200, 100, 0), "totalSteps=100");
        assertMessage(() -> schedule.lr(0), "step 0");
    }

    private static void assertMessage(Executable call, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
