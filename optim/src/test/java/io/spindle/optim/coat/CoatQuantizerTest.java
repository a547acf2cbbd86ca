package io.spindle.optim.coat;

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
