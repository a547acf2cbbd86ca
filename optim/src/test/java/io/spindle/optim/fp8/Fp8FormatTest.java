package io.spindle.optim.fp8;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Fp8FormatTest {

    @Test
    void formatsHaveTheOcpRanges() {
        assertEquals(448f, Fp8Format.E4M3.max());
        assertEquals(57344f, Fp8Format.E5M2.max());
        assertEquals((float) Math.scalb(1.0, -9), Fp8Format.E4M3.decode((byte) 1), "E4M3 smallest subnormal");
        assertEquals((float) Math.scalb(1.0, -16), Fp8Format.E5M2.decode((byte) 1), "E5M2 smallest subnormal");
        assertTrue(Float.isNaN(Fp8Format.E4M3.decode((byte) 0x7F)));
        assertEquals(Float.POSITIVE_INFINITY, Fp8Format.E5M2.decode((byte) 0x7C));
    }

    @ParameterizedTest
    @EnumSource(Fp8Format.class)
    void everyFiniteCodeRoundTrips(Fp8Format f) {
        for (int code = 0; code <= f.maxCode(); code++) {
            for (int sign : new int[] {0, 0x80}) {
                byte b = (byte) (sign | code);
                assertEquals(b, f.encode(f.decode(b)), f + " code " + Integer.toHexString(b & 0xFF));
            }
        }
    }

    /** Against a slow reference: the nearest finite value, ties to the even code, saturating. */
    @ParameterizedTest
    @EnumSource(Fp8Format.class)
    void encodeRoundsToNearestEvenAndSaturates(Fp8Format f) {
        SplittableRandom random = new SplittableRandom(5);
        for (int i = 0; i < 200_000; i++) {
            float x = (float) ((random.nextBoolean() ? -1 : 1) * Math.scalb(random.nextDouble(), random.nextInt(-22, 18)));
            assertEquals(reference(f, x), f.encode(x), f + " x=" + x);
        }
        // exact midpoints between neighbours go to the even code
        for (int code = 0; code < f.maxCode(); code++) {
            float mid = (f.decode((byte) code) + f.decode((byte) (code + 1))) / 2;
            int even = code % 2 == 0 ? code : code + 1;
            assertEquals((byte) even, f.encode(mid), f + " midpoint above code " + code);
        }
        assertEquals((byte) f.maxCode(), f.encode(Float.POSITIVE_INFINITY));
        assertEquals((byte) (0x80 | f.maxCode()), f.encode(-1e30f));
        assertTrue(Float.isNaN(f.decode(f.encode(Float.NaN))));
    }

    private static byte reference(Fp8Format f, float x) {
        double a = Math.abs((double) x);
        int best = 0;
        double bestErr = Double.POSITIVE_INFINITY;
        for (int code = 0; code <= f.maxCode(); code++) {
            double err = Math.abs(f.decode((byte) code) - a);
            if (err < bestErr || err == bestErr && code % 2 == 0) {
                best = code;
                bestErr = err;
            }
        }
        return (byte) ((x < 0 || (x == 0 && 1 / x < 0) ? 0x80 : 0) | best);
    }
}
