package io.spindle.optim.schedule;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConstantTest {

    @Test
    void returnsItsRateAtEveryStep() {
        Constant c = new Constant(3e-4);
        assertEquals(3e-4, c.lr(1), 0);
        assertEquals(3e-4, c.lr(1_000_000_000L), 0);
    }

    @Test
    void rejectsNonPositiveRatesAndStepZero() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Constant(Double.NaN));
        assertTrue(e.getMessage().contains("lr=NaN"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Constant(0));
        assertThrows(IllegalArgumentException.class, () -> new Constant(1e-3).lr(0));
    }
}
