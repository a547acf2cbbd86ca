package io.spindle.optim.coat;

import io.spindle.optim.fp8.Fp8Format;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

class CodeIndexTest {
    /** The lowest a = |x|/max of each E4M3 magnitude code for k = k16/16, from the rounding midpoints. */
    private static double[] lower(int k16) {
        double[] lower = new double[129];
        Arrays.fill(lower, Double.POSITIVE_INFINITY);
        lower[0] = Double.NEGATIVE_INFINITY;
        for (int c = 1; c <= 126; c++) {
            double mid = (Fp8Format.E4M3.decode((byte) (c - 1)) + Fp8Format.E4M3.decode((byte) c)) / 2;
            lower[c] = Math.pow(mid / 448, 16.0 / k16);
        }
        return lower;
    }

    /** Linear search: the reference the index must equal. */
    private static int code(double[] lower, double a) {
        int c = 0;
        while (c < 126 && a > lower[c + 1]) c++;
        return c;
    }

    @Test
    void indexEqualsTheSearchForEveryIndexedK() {
        SplittableRandom random = new SplittableRandom(17);
        int indexed = 0;
        for (int k16 = 1; k16 <= 300; k16++) {
            double[] lower = lower(k16);
            CodeIndex index = CodeIndex.of(lower, 126, k16 / 16.0);
            if (k16 < 3 || k16 > 256) {
                assertNull(index, "k16 = " + k16);
                continue;
            }
            assertNotNull(index, "k16 = " + k16);
            indexed++;
            for (int c = 1; c <= 126; c++) {
                // the bounds themselves and their neighbours, where float rounding of a decides the bucket
                for (double a : new double[] {lower[c], Math.nextDown(lower[c]), Math.nextUp(lower[c]),
                        Math.nextDown((float) lower[c]), Math.nextUp((float) lower[c])}) {
                    if (a >= 0 && a <= 1) assertEquals(code(lower, a), index.code(a, lower), "k16 " + k16 + " a " + a);
                }
            }
            for (int i = 0; i < 2000; i++) {
                double a = Math.pow(2, -60 * random.nextDouble() * random.nextDouble());
                assertEquals(code(lower, a), index.code(a, lower), "k16 " + k16 + " a " + a);
            }
            assertEquals(0, index.code(0, lower));
            assertEquals(126, index.code(1, lower));
        }
        assertEquals(254, indexed);
    }
}
