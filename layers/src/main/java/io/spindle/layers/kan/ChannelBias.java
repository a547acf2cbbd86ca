package io.spindle.layers.kan;

import io.spindle.layers.core.Buffers;
import io.spindle.layers.core.Parallel;
import io.spindle.layers.core.Parameter;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;

/**
 * A bias added to every row of a layer's output, {@code y[r, c] += bias[c]}, kept apart from
 * {@code Linear} (which is bias-free) for the layers that have one. Its gradient, the column sums
 * of dy, is summed per thread in double and the threads' sums added in a fixed order.
 */
public final class ChannelBias {
    private static final int MIN_ROWS_PER_CHUNK = 64;

    private final Parameter bias;
    private final int channels;
    private final double[][] sums = new double[Parallel.threads()][];

    /** Wraps {@code bias}, a registered {@code [channels]} parameter. */
    public ChannelBias(Parameter bias) {
        if (bias.shape().length != 1) {
            throw new IllegalArgumentException(bias.name() + " must be 1-D to be a channel bias, got shape "
                    + java.util.Arrays.toString(bias.shape()));
        }
        this.bias = bias;
        this.channels = (int) bias.size();
    }

    public Parameter parameter() { return bias; }

    /** y[r, c] += bias[c] in place; y is a c-order [rows, channels] array. */
    public void addTo(INDArray y) {
        requireRows(y);
        float[] b = values();
        FloatBuffer ys = Buffers.floats(y);
        int off = (int) y.offset();
        Parallel.forRange((int) y.size(0), MIN_ROWS_PER_CHUNK, (chunk, from, to) -> {
            float[] row = new float[channels];
            for (int r = from; r < to; r++) {
                ys.get(off + r * channels, row, 0, channels);
                for (int c = 0; c < channels; c++) row[c] += b[c];
                ys.put(off + r * channels, row, 0, channels);
            }
        });
    }

    /** bias.grad[c] += Σ_r dy[r, c]. */
    public void backward(INDArray dy) {
        requireRows(dy);
        FloatBuffer ds = Buffers.floats(dy);
        int off = (int) dy.offset();
        for (double[] s : sums) if (s != null) java.util.Arrays.fill(s, 0);
        Parallel.forRange((int) dy.size(0), MIN_ROWS_PER_CHUNK, (chunk, from, to) -> {
            if (sums[chunk] == null) sums[chunk] = new double[channels];
            double[] sum = sums[chunk];
            float[] row = new float[channels];
            for (int r = from; r < to; r++) {
                ds.get(off + r * channels, row, 0, channels);
                for (int c = 0; c < channels; c++) sum[c] += row[c];
            }
        });
        FloatBuffer gs = Buffers.floats(bias.grad());
        int gOff = (int) bias.grad().offset();
        for (int c = 0; c < channels; c++) {
            double total = 0;
            for (double[] s : sums) if (s != null) total += s[c];
            gs.put(gOff + c, (float) (gs.get(gOff + c) + total));
        }
    }

    /** The bias as a Java array. */
    public float[] values() {
        float[] b = new float[channels];
        Buffers.floats(bias.value()).get((int) bias.value().offset(), b, 0, channels);
        return b;
    }

    private void requireRows(INDArray a) {
        // a single row may carry any row stride (ND4J normalizes strides of size-1 axes)
        if (a.rank() != 2 || a.size(1) != channels || a.stride(1) != 1 || (a.size(0) > 1 && a.stride(0) != channels)) {
            throw new IllegalArgumentException(bias.name() + ": expected a c-order [rows, " + channels + "] array, got shape "
                    + java.util.Arrays.toString(a.shape()));
        }
    }
}
