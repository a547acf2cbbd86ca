package io.spindle.parallel.comm;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Bf16Test {
    /** bf16 keeps 8 significant bits: between 1 and 2 its spacing is 2^-7. */
    private static final float ULP_AT_ONE = 0x1p-7f;

    @Test
    void roundsToNearestAndTiesToEven() {
        assertEquals(1f, Bf16.round(1f + 0.49f * ULP_AT_ONE));
        assertEquals(1f + ULP_AT_ONE, Bf16.round(1f + 0.51f * ULP_AT_ONE));
        // exact ties: 1 + ulp/2 goes down to the even 1.0; 1 + 3ulp/2 goes up to the even 1 + 2ulp
        assertEquals(1f, Bf16.round(1f + 0.5f * ULP_AT_ONE));
        assertEquals(1f + 2 * ULP_AT_ONE, Bf16.round(1f + 1.5f * ULP_AT_ONE));
        assertEquals(-1f - 2 * ULP_AT_ONE, Bf16.round(-1f - 1.5f * ULP_AT_ONE));
    }

    @Test
    void keepsSpecialValues() {
        assertEquals(Float.POSITIVE_INFINITY, Bf16.round(Float.POSITIVE_INFINITY));
        assertEquals(Float.NEGATIVE_INFINITY, Bf16.round(Float.NEGATIVE_INFINITY));
        assertTrue(Float.isNaN(Bf16.round(Float.intBitsToFloat(0x7f800001))), "a NaN with a low payload must stay NaN");
        assertEquals(Float.POSITIVE_INFINITY, Bf16.round(Float.MAX_VALUE), "beyond bf16's largest finite value");
        assertEquals(0x8000, Bf16.fromFloat(-0f) & 0xffff);
    }

    @Test
    void representableValuesRoundTripExactly() {
        for (int h = 0; h < 0x10000; h++) {
            float f = Bf16.toFloat((short) h);
            if (!Float.isNaN(f)) assertEquals(h, Bf16.fromFloat(f) & 0xffff, "bf16 bits " + Integer.toHexString(h));
        }
    }
}
