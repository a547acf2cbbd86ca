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
        short[] k16 = new short[q.groups(n)];
        q.quantize(x, 0, n, 0, codes, 0, max, k16);
        float[] back = new float[n];
        q.dequantize(codes, 0, n, 0, max, k16, back, 0);
        double worst = 0;
        for (int i = 0; i < n; i++) {
            assertEquals(Math.signum(x[i]), Math.signum(back[i]), "sign of element " + i);
            worst = Math.max(worst, Math.abs(back[i] - x[i]) / Math.abs(x[i]));
        }
        // E4M3 rounds to 1/16 relative; the 1/k root (k < 1 here: 6 decades exceed E4M3's range) widens it
        assertTrue(worst < 0.25, "worst relative error " + worst);
    }

    /**
     * Codes, k and dequantized values equal the README's formulas computed directly in double
     * (S, scale, pow per element), over groups whose range runs from 0.1 % (k capped at 65535/16) and
     * a factor 1.01 (k near 1000, beyond the estimate's range) to twelve decades (k < 1), so every
     * path of the code search is taken, subnormal E4M3 codes included.
     */
    @Test
    void codesKAndValuesEqualTheDirectFormula() {
        SplittableRandom random = new SplittableRandom(21);
        int groupSize = 64;
        int groups = 320;
        CoatQuantizer q = new CoatQuantizer(groupSize);
        int n = groupSize * groups - 5;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            int g = i / groupSize;
            double decades = g < 10 ? 0.0004 : g < 20 ? 0.004 : 0.3 + 12.0 * g / groups;
            x[i] = (float) ((random.nextBoolean() ? 1 : -1) * Math.pow(10, -decades * random.nextDouble()));
        }
        byte[] codes = new byte[n];
        float[] max = new float[groups];
        short[] k16 = new short[groups];
        q.quantize(x, 0, n, 0, codes, 0, max, k16);
        float[] back = new float[n];
        q.dequantize(codes, 0, n, 0, max, k16, back, 0);
        int compared = 0;
        for (int g = 0; g < groups; g++) {
            int start = g * groupSize;
            int end = Math.min(n, start + groupSize);
            double hi = 0;
            double lo = Double.POSITIVE_INFINITY;
            for (int i = start; i < end; i++) {
                hi = Math.max(hi, Math.abs(x[i]));
                lo = Math.min(lo, Math.abs(x[i]));
            }
            double groupMax = (float) (hi + 1e-20);
            double groupMin = (float) (lo + 1e-20);
            double ratio = groupMax / groupMin;
            double k = ratio <= 1 ? 1 : Math.floor(16 * (Math.log(448.0 * 448.0 / 2) / Math.log(ratio))) / 16;
            k = Math.max(1 / 16.0, Math.min(0xFFFF / 16.0, k));
            assertEquals(k, CoatQuantizer.k16(k16[g]) / 16.0, "k of group " + g);
            assertEquals(groupMax, max[g], "max of group " + g);
            double center = Math.sqrt(groupMax * groupMin);
            double scale = Math.pow(groupMax / center, k) / 448;
            for (int i = start; i < end; i++) {
                double t = Math.pow(Math.abs(x[i]) / center, k) / scale;
                int code = codes[i] & 0x7F;
                float got = Math.abs(Fp8Format.E4M3.decode(codes[i]));
                // skip values within float noise of a rounding bound, where either answer is right
                double below = code == 0 ? -1 : (Fp8Format.E4M3.decode((byte) (code - 1)) + got) / 2;
                double above = code == 126 ? Double.POSITIVE_INFINITY : (Fp8Format.E4M3.decode((byte) (code + 1)) + got) / 2;
                if (Math.abs(t - below) < 1e-5 * t || Math.abs(t - above) < 1e-5 * t) continue;
                assertEquals(Fp8Format.E4M3.decode(Fp8Format.E4M3.encode((float) t)), got, "element " + i + " t=" + t);
                assertEquals(x[i] < 0, codes[i] < 0, "sign of element " + i);
                double want = Math.signum(x[i]) * Math.pow(got * scale, 1 / k) * center;
                assertEquals(want, back[i], 2 * Math.ulp((float) want), "dequantized element " + i);
                compared++;
            }
        }
        assertTrue(compared > n * 0.98, compared + " of " + n + " compared");
    }

    /** Zeros come back as zeros, and the group max exactly: its code is 448 and (448/448)^(1/k) = 1. */
    @Test
    void zeroGroupsStayZeroTheMaxIsExactAndChunksMustStartAtAGroup() {
        CoatQuantizer q = new CoatQuantizer(4);
        float[] x = {0, 0, 0, 0, 1, -3.3f, 0, 2};
        byte[] codes = new byte[8];
        float[] max = new float[2];
        short[] k16 = new short[2];
        q.quantize(x, 0, 8, 0, codes, 0, max, k16);
        float[] back = new float[8];
        q.dequantize(codes, 0, 8, 0, max, k16, back, 0);
        for (int i = 0; i < 4; i++) assertEquals(0f, back[i]);
        assertEquals(0f, back[6]);
        assertEquals(-3.3f, back[5], "the group max is the expansion's anchor");
        assertThrows(IllegalArgumentException.class, () -> q.quantize(x, 0, 4, 2, codes, 0, max, k16));
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
        short[] k16 = new short[q.groups(n)];
        q.quantize(x, 0, n, 0, whole, 0, max, k16);
        for (int start = 0; start < n; start += 64) {
            int len = Math.min(64, n - start);
            q.quantize(x, start, len, start, chunked, start, max, k16);
        }
        assertEquals(java.util.Arrays.toString(whole), java.util.Arrays.toString(chunked));
    }
}
