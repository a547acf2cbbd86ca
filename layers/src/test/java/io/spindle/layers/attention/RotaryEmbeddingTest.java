package io.spindle.layers.attention;

import io.spindle.layers.core.Buffers;
import io.spindle.layers.testing.FiniteDifference;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class RotaryEmbeddingTest {

    @Test
    void rotatesHalfSplitPairsByPositionTimesFrequency() {
        int headDim = 6, seq = 4, heads = 2;
        RotaryEmbedding rope = new RotaryEmbedding(headDim, 8, 100.0);
        INDArray x = FiniteDifference.normal(new SplittableRandom(1), 1, seq, heads * headDim);
        INDArray original = x.dup();
        rope.rotate(Buffers.floats(x), (int) x.offset(), heads * headDim, seq, seq, heads, false);
        for (int pos = 0; pos < seq; pos++) {
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < 3; i++) {
                    double angle = pos * Math.pow(100.0, -2.0 * i / headDim);
                    double x1 = original.getFloat(pos, h * headDim + i);
                    double x2 = original.getFloat(pos, h * headDim + 3 + i);
                    assertEquals(x1 * Math.cos(angle) - x2 * Math.sin(angle), x.getFloat(pos, h * headDim + i), 1e-6);
                    assertEquals(x1 * Math.sin(angle) + x2 * Math.cos(angle), x.getFloat(pos, h * headDim + 3 + i), 1e-6);
                }
            }
        }
        rope.rotate(Buffers.floats(x), (int) x.offset(), heads * headDim, seq, seq, heads, true);
        for (int i = 0; i < x.length(); i++) assertEquals(original.getFloat(i), x.getFloat(i), 1e-6);
    }

    /** Su et al. 2021 eq. 16: the score of rotated q at m and k at n depends only on m − n. */
    @Test
    void scoresDependOnlyOnRelativePosition() {
        int headDim = 8, seq = 7;
        RotaryEmbedding rope = new RotaryEmbedding(headDim, seq, 10_000);
        SplittableRandom random = new SplittableRandom(2);
        INDArray q = FiniteDifference.normal(random, 1, 1, headDim);
        INDArray k = FiniteDifference.normal(random, 1, 1, headDim);
        INDArray qs = q.repeat(0, seq);
        INDArray ks = k.repeat(0, seq);
        rope.rotate(Buffers.floats(qs), (int) qs.offset(), headDim, seq, seq, 1, false);
        rope.rotate(Buffers.floats(ks), (int) ks.offset(), headDim, seq, seq, 1, false);
        FloatBuffer qb = Buffers.floats(qs);
        double score52 = qs.getRow(5).mul(ks.getRow(2)).sumNumber().doubleValue();
        double score41 = qs.getRow(4).mul(ks.getRow(1)).sumNumber().doubleValue();
        double score63 = qs.getRow(6).mul(ks.getRow(3)).sumNumber().doubleValue();
        assertEquals(score52, score41, 1e-5);
        assertEquals(score52, score63, 1e-5);
        assertEquals(q.mul(k).sumNumber().doubleValue(), qs.getRow(3).mul(ks.getRow(3)).sumNumber().doubleValue(), 1e-5);
        assertEquals(qb.capacity(), qs.length());
    }

    @Test
    void rejectsOddHeadDimensionsAndSequencesLongerThanTheTable() {
        assertThrows(IllegalArgumentException.class, () -> new RotaryEmbedding(5, 4, 10_000));
        RotaryEmbedding rope = new RotaryEmbedding(4, 4, 10_000);
        INDArray x = Buffers.zeros(5, 4);
        assertThrows(IllegalArgumentException.class, () -> rope.rotate(Buffers.floats(x), 0, 4, 5, 5, 1, false));
    }
}
