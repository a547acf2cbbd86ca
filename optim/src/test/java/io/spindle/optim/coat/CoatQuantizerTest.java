package io.spindle.optim.coat;

import io.spindle.optim.fp8.Fp8Format;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CoatQuantizerTest {

    /** With the range expanded, every element keeps about E4M3's relative precision, whatever its magnitude. */
    @Test
    void relativeErrorStaysWithinE4m3PrecisionAcrossManyDecades() {
        SplittableRandom random = new SplittableRandom(11);
        int n = 128 * 40 + 17;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            // Adam-like second moments: positive, spread over six decades
            x[i] = (float) Math.pow(10, -8 + 6 * random.nextDouble()) * (random.nextBoolean() ? 1 : -1);
        }
        CoatQuantizer q = new CoatQuantizer(128);
        byte[] codes = new byte[n];
        float[] max = new float[q.groups(n)];
        float[] min = new float[q.groups(n)];
        q.quantize(x, 0, n, 0, codes, 0, max, min);
        float[] back = new float[n];
        q.dequantize(codes, 0, n, 0, max, min, back, 0);
        double worst = 0;
        for (int i = 0; i < n; i++) {
            assertEquals(Math.signum(x[i]), Math.signum(back[i]), "sign of element " + i);
            worst = Math.max(worst, Math.abs(back[i] - x[i]) / Math.abs(x[i]));
        }
        // E4M3 rounds to 1/16 relative; the 1/k root (k < 1 here: 6 decades exceed E4M3's range) widens it
        assertTrue(worst < 0.25, "worst relative error " + worst);
    }

    /** The table-and-walk code search equals the formula q = E4M3((|x|/S)^k / scale) computed directly. */
    @Test
    void codesEqualTheDirectFormula() {
        SplittableRandom random = new SplittableRandom(21);
        int groupSize = 64;
        CoatQuantizer q = new CoatQuantizer(groupSize);
        int n = groupSize * 300;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            // ranges from a factor 2 (large k) to twelve decades (k < 1) across groups
            double decades = 0.3 + 12.0 * (i / groupSize) / 300.0;
            x[i] = (float) (random.nextGaussian() * Math.pow(10, -decades * random.nextDouble()));
        }
        byte[] codes = new byte[n];
        float[] max = new float[q.groups(n)];
        float[] min = new float[q.groups(n)];
        q.quantize(x, 0, n, 0, codes, 0, max, min);
        int compared = 0;
        for (int i = 0; i < n; i++) {
            CoatQuantizer.Group g = CoatQuantizer.group(max[i / groupSize], min[i / groupSize]);
            double t = Math.pow(Math.abs(x[i]) / g.center(), g.k()) / g.scale();
            float rounded = Fp8Format.E4M3.decode(Fp8Format.E4M3.encode((float) t));
            float prev = Fp8Format.E4M3.decode((byte) Math.max(0, (codes[i] & 0x7F) - 1));
            float next = Fp8Format.E4M3.decode((byte) Math.min(126, (codes[i] & 0x7F) + 1));
            // skip values within float noise of a rounding bound, where either answer is right
            double nearestBound = Math.min(Math.abs(t - (prev + Math.abs(Fp8Format.E4M3.decode(codes[i]))) / 2),
                    Math.abs(t - (next + Math.abs(Fp8Format.E4M3.decode(codes[i]))) / 2));
            if (nearestBound < 1e-5 * t) continue;
            assertEquals(rounded, Math.abs(Fp8Format.E4M3.decode(codes[i])), "element " + i + " t=" + t);
            compared++;
        }
        // each group's max sits exactly on 448 (the top code) and is skipped by the check above
        assertTrue(compared > n * 0.98, compared + " of " + n + " compared");
    }

    @Test
    void zeroGroupsStayZeroAndChunksMustStartAtAGroup() {
        CoatQuantizer q = new CoatQuantizer(4);
        float[] x = {0, 0, 0, 0, 1, -2, 0, 3};
        byte[] codes = new byte[8];
        float[] max = new float[2];
        float[] min = new float[2];
        q.quantize(x, 0, 8, 0, codes, 0, max, min);
        float[] back = new float[8];
        q.dequantize(codes, 0, 8, 0, max, min, back, 0);
        for (int i = 0; i < 4; i++) assertEquals(0f, back[i]);
        assertEquals(0f, back[6]);
        assertEquals(3f, back[7], 3f / 16, "the group max is the expansion's anchor");
        assertThrows(IllegalArgumentException.class, () -> q.quantize(x, 0, 4, 2, codes, 0, max, min));
        assertThrows(IllegalArgumentException.class, () -> new CoatQuantizer(0));
    }

    /** Chunked quantization (as the state store runs it) gives the same bytes as one pass. */
    @Test
    void chunkedEqualsWhole() {
        SplittableRandom random = new SplittableRandom(3);
        int n = 1000;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) random.nextGaussian();
        CoatQuantizer q = new CoatQuantizer(8);
        byte[] whole = new byte[n];
        byte[] chunked = new byte[n];
        float[] max = new float[q.groups(n)];
        float[] min = new float[q.groups(n)];
        q.quantize(x, 0, n, 0, whole, 0, max, min);
        for (int start = 0; start < n; start += 64) {
            int len = Math.min(64, n - start);
            q.quantize(x, start, len, start, chunked, start, max, min);
        }
        assertEquals(java.util.Arrays.toString(whole), java.util.Arrays.toString(chunked));
    }
}
