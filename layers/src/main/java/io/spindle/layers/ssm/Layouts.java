package io.spindle.layers.ssm;

import io.spindle.layers.core.Buffers;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;

/**
 * Transposes between the model's rows {@code [batch, seq, channels]} and the per-channel
 * sequences {@code [batch, channels, seq]} that a convolution over time wants contiguous.
 */
final class Layouts {
    private Layouts() {}

    /** rows [batch·seq, channels] → a [batch, channels, seq] float array (reused if the size fits). */
    static float[] rowsToChannels(INDArray rows, int batch, int seq, int channels, float[] reuse) {
        int size = batch * seq * channels;
        float[] flat = new float[size];
        Buffers.floats(rows).get((int) rows.offset(), flat, 0, size);
        float[] out = reuse != null && reuse.length == size ? reuse : new float[size];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < seq; t++) {
                int src = (b * seq + t) * channels;
                for (int h = 0; h < channels; h++) out[(b * channels + h) * seq + t] = flat[src + h];
            }
        }
        return out;
    }

    /** A [batch, channels, seq] float array → rows [batch·seq, channels] written into {@code rows}. */
    static void channelsToRows(float[] seqs, int batch, int seq, int channels, INDArray rows) {
        float[] flat = new float[batch * seq * channels];
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < channels; h++) {
                int src = (b * channels + h) * seq;
                for (int t = 0; t < seq; t++) flat[(b * seq + t) * channels + h] = seqs[src + t];
            }
        }
        FloatBuffer out = Buffers.floats(rows);
        out.put((int) rows.offset(), flat, 0, flat.length);
    }
}
