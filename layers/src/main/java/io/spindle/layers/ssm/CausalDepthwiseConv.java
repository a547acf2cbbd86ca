package io.spindle.layers.ssm;

import io.spindle.layers.core.Parallel;

/**
 * Mamba's short convolution over time, one filter per channel, left zero padding:
 * {@code pre[t, d] = bias[d] + Σ_{k<W} w[d, k] x[t − (W−1) + k, d]}, then {@code silu(pre)}
 * (PyTorch's {@code Conv1d(groups=channels, padding=W−1)[..., :L]}). Rows [batch·seq, channels];
 * the input may be a column range of wider rows (the x half of in_proj's output). The sum runs
 * k = 0 … W−1 in that order in training and in {@link #step}, so both give the same floats.
 */
final class CausalDepthwiseConv {
    private static final int MIN_ROWS = 16;

    private final int channels;
    private final int width;

    CausalDepthwiseConv(int channels, int width) {
        if (width <= 0) throw new IllegalArgumentException("convolution width must be positive, got " + width);
        this.channels = channels;
        this.width = width;
    }

    /** pre and silu(pre) [batch·seq, channels] (contiguous) from x; w [channels, width], bias [channels]. */
    void forward(SelectiveScan.Rows x, float[] w, float[] bias, int batch, int seq, float[] pre, float[] out) {
        Parallel.forRange(batch * seq, MIN_ROWS, (chunk, from, to) -> {
            for (int row = from; row < to; row++) {
                int t = row % seq;
                int o = row * channels;
                System.arraycopy(bias, 0, pre, o, channels);
                for (int k = 0; k < width; k++) {
                    int back = width - 1 - k;
                    if (t - back < 0) continue; // zero padding adds nothing
                    int in = x.at(row - back);
                    for (int d = 0; d < channels; d++) pre[o + d] += w[d * width + k] * x.data()[in + d];
                }
                for (int d = 0; d < channels; d++) out[o + d] = pre[o + d] * ScanMath.sigmoid(pre[o + d]);
            }
        });
    }

    /**
     * From dOut (the gradient at silu(pre)): dx written into {@code dx} (a column range), dw and
     * dBias added to.
     */
    void backward(SelectiveScan.Rows x, float[] w, float[] pre, float[] dOut, int batch, int seq,
                  SelectiveScan.Rows dx, float[] dw, float[] dBias) {
        int rows = batch * seq;
        float[] dPre = new float[rows * channels];
        for (int i = 0; i < dPre.length; i++) {
            float s = ScanMath.sigmoid(pre[i]);
            dPre[i] = dOut[i] * s * (1f + pre[i] * (1f - s));
        }
        float[][] dwPerChunk = new float[Parallel.threads()][];
        float[][] dbPerChunk = new float[Parallel.threads()][];
        Parallel.forRange(rows, MIN_ROWS, (chunk, from, to) -> {
            float[] dwc = new float[channels * width];
            float[] dbc = new float[channels];
            for (int row = from; row < to; row++) {
                int t = row % seq;
                int o = row * channels;
                int dxAt = dx.at(row);
                for (int d = 0; d < channels; d++) {
                    dbc[d] += dPre[o + d];
                    dx.data()[dxAt + d] = 0f;
                }
                for (int k = 0; k < width; k++) {
                    int back = width - 1 - k;
                    // x[t] feeds pre[t + back] through w[k]
                    if (t + back < seq) {
                        int later = (row + back) * channels;
                        for (int d = 0; d < channels; d++) dx.data()[dxAt + d] += w[d * width + k] * dPre[later + d];
                    }
                    if (t - back >= 0) {
                        int in = x.at(row - back);
                        for (int d = 0; d < channels; d++) dwc[d * width + k] += dPre[o + d] * x.data()[in + d];
                    }
                }
            }
            dwPerChunk[chunk] = dwc;
            dbPerChunk[chunk] = dbc;
        });
        for (int c = 0; c < dwPerChunk.length; c++) {
            if (dwPerChunk[c] == null) continue;
            for (int i = 0; i < dw.length; i++) dw[i] += dwPerChunk[c][i];
            for (int d = 0; d < channels; d++) dBias[d] += dbPerChunk[c][d];
        }
    }

    /** A zero window (the last W−1 inputs) for {@code batch} sequences. */
    float[] newWindow(int batch) {
        return new float[batch * channels * Math.max(0, width - 1)];
    }

    /** One token: x [batch·channels] → silu(pre) into out, sliding the window. */
    void step(float[] window, float[] x, float[] w, float[] bias, int batch, float[] out) {
        int past = width - 1;
        for (int s = 0; s < batch; s++) {
            for (int d = 0; d < channels; d++) {
                int at = (s * channels + d) * past;
                float pre = bias[d];
                for (int k = 0; k < past; k++) pre += w[d * width + k] * window[at + k];
                pre += w[d * width + past] * x[s * channels + d];
                if (past > 0) {
                    System.arraycopy(window, at + 1, window, at, past - 1);
                    window[at + past - 1] = x[s * channels + d];
                }
                out[s * channels + d] = pre * ScanMath.sigmoid(pre);
            }
        }
    }
}
