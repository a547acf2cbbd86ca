package io.spindle.layers.attention;

import io.spindle.layers.core.Parallel;

import java.nio.FloatBuffer;

/**
 * Rotary position embedding (Su et al. 2021, eq. 34) in the half-split layout used by GPT-NeoX
 * and LLaMA: within each head, dimension i is paired with i + headDim/2 and the pair is rotated
 * by angle {@code pos · base^(-2i/headDim)}. Angles are computed in double once per layer, since
 * float32 {@code pos·theta} loses digits at long positions.
 */
public final class RotaryEmbedding {
    private final int headDim;
    private final int half;
    private final int maxSeq;
    private final float[] cos;
    private final float[] sin;

    public RotaryEmbedding(int headDim, int maxSeq, double base) {
        if (headDim % 2 != 0) {
            throw new IllegalArgumentException("RoPE needs an even head dimension, got " + headDim);
        }
        this.headDim = headDim;
        this.half = headDim / 2;
        this.maxSeq = maxSeq;
        this.cos = new float[maxSeq * half];
        this.sin = new float[maxSeq * half];
        for (int i = 0; i < half; i++) {
            double theta = Math.pow(base, -2.0 * i / headDim);
            for (int pos = 0; pos < maxSeq; pos++) {
                double angle = pos * theta;
                cos[pos * half + i] = (float) Math.cos(angle);
                sin[pos * half + i] = (float) Math.sin(angle);
            }
        }
    }

    public int maxSeq() { return maxSeq; }

    /**
     * Rotates, in place, every head of every row of a [batch*seq, heads*headDim] block starting
     * at {@code offset} with row stride {@code ld}; row r is at position r mod seq.
     * {@code inverse} applies the transpose rotation, which is the backward of the forward one.
     */
    public void rotate(FloatBuffer buf, int offset, int ld, int rows, int seq, int heads, boolean inverse) {
        if (seq > maxSeq) {
            throw new IllegalArgumentException("sequence length " + seq + " exceeds RoPE table size " + maxSeq);
        }
        Parallel.forRange(rows, 256, (chunk, from, to) -> {
            for (int r = from; r < to; r++) rotateRow(buf, offset + r * ld, heads, r % seq, inverse);
        });
    }

    /**
     * Rotates, in place, the {@code heads} heads of one row starting at {@code offset}, all at
     * position {@code position} (a decoding step's new token).
     */
    public void rotateRow(FloatBuffer buf, int offset, int heads, int position, boolean inverse) {
        if (position < 0 || position >= maxSeq) {
            throw new IllegalArgumentException("position " + position + " is outside the RoPE table of " + maxSeq
                    + " positions (model.maxSeq)");
        }
        float sign = inverse ? -1f : 1f;
        int table = position * half;
        for (int h = 0; h < heads; h++) {
            int base = offset + h * headDim;
            for (int i = 0; i < half; i++) {
                float c = cos[table + i];
                float s = sign * sin[table + i];
                float x1 = buf.get(base + i);
                float x2 = buf.get(base + half + i);
                buf.put(base + i, x1 * c - x2 * s);
                buf.put(base + half + i, x1 * s + x2 * c);
            }
        }
    }
}
