package io.spindle.layers.kan;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RationalFitTest {

    /** A function that is itself a safe Padé unit is recovered to rounding, whatever the start. */
    @Test
    void recoversARationalFunctionExactly() {
        double[] num = {0.1, -0.5, 0.3, 0.2, -0.05, 0.01};
        double[] den = {0.4, 0.0, 0.3, 0.05};
        RationalFit.Coefficients fit = RationalFit.fit(x -> RationalFit.value(num, den, x), -3, 3, 400);
        assertTrue(fit.rmse() < 1e-9, "rmse " + fit.rmse());
        for (double x = -3; x <= 3; x += 0.05) assertEquals(RationalFit.value(num, den, x), fit.value(x), 1e-8);
    }

    /** KAT's GELU start: the fit follows GELU closely on [-3, 3] and keeps GELU's shape outside. */
    @Test
    void geluStartFollowsGelu() {
        RationalFit.Coefficients gelu = RationalStart.GELU.coefficients();
        double maxErr = 0;
        for (int k = 0; k <= 6000; k++) {
            double x = -3 + k * 0.001;
            maxErr = Math.max(maxErr, Math.abs(gelu.value(x) - Gelu.value(x)));
        }
        assertTrue(maxErr < 5e-3, "max |R - gelu| on [-3, 3] = " + maxErr);
        assertTrue(gelu.rmse() < 1e-3, "rmse " + gelu.rmse());
        for (double d : gelu.denominator()) assertTrue(d >= 0, "fitted denominators are reported as |b|");
    }

    @Test
    void identityStartIsTheIdentity() {
        RationalFit.Coefficients id = RationalStart.IDENTITY.coefficients();
        for (double x = -5; x <= 5; x += 0.25) assertEquals(x, id.value(x), 0);
    }

    @Test
    void geluMatchesKnownValues() {
        // x Φ(x) from tables of the normal distribution
        assertEquals(0.0, Gelu.value(0), 1e-12);
        assertEquals(0.8413447460685429, Gelu.value(1), 2e-7);
        assertEquals(-0.15865525393145707, Gelu.value(-1), 2e-7);
        assertEquals(1.9544997361036416, Gelu.value(2), 4e-7);
        for (double x = -4; x <= 4; x += 0.37) {
            double numeric = (Gelu.value(x + 1e-5) - Gelu.value(x - 1e-5)) / 2e-5;
            assertEquals(numeric, Gelu.derivative(x), 2e-5, "gelu'(" + x + ")");
        }
    }

    @Test
    void rejectsAnEmptyRange() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RationalFit.fit(Gelu::value, 1, 1, 1000));
        assertTrue(e.getMessage().contains("hi > lo"), e.getMessage());
    }
}
