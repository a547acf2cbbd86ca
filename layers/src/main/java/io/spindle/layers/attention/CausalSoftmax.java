package io.spindle.layers.attention;

import java.nio.FloatBuffer;

/**
 * Row softmax of score rows under the causal mask (query i sees keys 0..i), in place, for a
 * block of consecutive query rows {@code first..first+rows-1} stored with row stride {@code ld}.
 * Masked entries inside the block's key range {@code 0..first+rows-1} are written as exact
 * zeros, so the following products can run over that whole range. With {@code group > 1}, each
 * position owns {@code group} consecutive rows (the heads that share one key per position in
 * latent attention): row r is at position {@code first + r / group}, and {@code rows} counts positions.
 */
final class CausalSoftmax {
    private CausalSoftmax() {}

    /** Scores → probabilities; the row maximum is subtracted first so exp never overflows. */
    static void forward(FloatBuffer p, int offset, int ld, int first, int rows) {
        forward(p, offset, ld, first, rows, 1);
    }

    static void forward(FloatBuffer p, int offset, int ld, int first, int rows, int group) {
        int width = first + rows;
        for (int r = 0; r < rows * group; r++) {
            int i = first + r / group;
            int row = offset + r * ld;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j <= i; j++) max = Math.max(max, p.get(row + j));
            double sum = 0;
            for (int j = 0; j <= i; j++) {
                float e = (float) Math.exp(p.get(row + j) - max);
                p.put(row + j, e);
                sum += e;
            }
            float inv = (float) (1.0 / sum);
            for (int j = 0; j <= i; j++) p.put(row + j, p.get(row + j) * inv);
            for (int j = i + 1; j < width; j++) p.put(row + j, 0f);
        }
    }

    /**
     * In place on {@code grad}: dP → dS with {@code dS_ij = P_ij (dP_ij − sum_k P_ik dP_ik)},
     * the softmax Jacobian-vector product; masked entries become zero.
     */
    static void backward(FloatBuffer p, int pOffset, FloatBuffer grad, int gOffset, int ld, int first, int rows) {
        backward(p, pOffset, grad, gOffset, ld, first, rows, 1);
    }

    static void backward(FloatBuffer p, int pOffset, FloatBuffer grad, int gOffset, int ld, int first, int rows, int group) {
        int width = first + rows;
        for (int r = 0; r < rows * group; r++) {
            int i = first + r / group;
            int pr = pOffset + r * ld;
            int gr = gOffset + r * ld;
            double dot = 0;
            for (int j = 0; j <= i; j++) dot += p.get(pr + j) * grad.get(gr + j);
            float d = (float) dot;
            for (int j = 0; j <= i; j++) grad.put(gr + j, p.get(pr + j) * (grad.get(gr + j) - d));
            for (int j = i + 1; j < width; j++) grad.put(gr + j, 0f);
        }
    }
}
