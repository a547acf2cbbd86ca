package io.spindle.layers.ssm;

import io.spindle.layers.core.Buffers;
import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.Parameter;
import io.spindle.layers.core.ParameterRole;
import io.spindle.layers.core.ParameterSet;
import org.nd4j.linalg.api.ndarray.INDArray;

import static io.spindle.layers.ssm.ParameterArrays.addToGrad;
import static io.spindle.layers.ssm.ParameterArrays.values;

/**
 * The S4D layer proper: every channel h of the input is its own single-input single-output
 * diagonal SSM, {@code y = causal_conv(u, K) + D u}, K from {@link S4DKernel}, the convolution by
 * FFT ({@link CausalFftConvolution}) for training. For generation, {@link #newState} and
 * {@link #step} run the same system as a recurrence, one token at a time: with
 * {@code s_n ← z_n s_n + u}, {@code y = 2 Re Σ_n W_n s_n + D u} equals the convolution's output
 * at every position (Σ_k K[k] u[t−k] unrolled).
 *
 * <p>Activations are the model's rows {@code [batch·seq, channels]}; the convolution runs on a
 * {@code [batch, channels, seq]} copy, transposed in and out here. Parameters: those of
 * {@link S4DKernel} and {@code prefix.D [channels]} (VECTOR, standard normal as in the paper).
 */
public final class S4D {
    private final int channels;
    private final S4DKernel kernel;
    private final Parameter skip;
    private final CausalFftConvolution convolution;
    private int batch;
    private int seq;
    private float[] u;
    private float[] k;
    private INDArray y;
    private INDArray dx;

    /**
     * {@code channels} independent SSMs; when the parameter set holds a slice of them (tensor
     * parallelism of the channels) this instance runs that slice's channels.
     */
    public S4D(ParameterSet params, String prefix, int channels, int stateSize, S4DKernel.Init init) {
        this.kernel = new S4DKernel(params, prefix, channels, stateSize, init, 0.001, 0.1);
        this.skip = params.add(prefix + ".D", new long[] {channels}, ParameterRole.VECTOR, Initializer.normal(1));
        this.channels = kernel.channels();
        if (skip.shape()[0] != this.channels) {
            throw new IllegalArgumentException(prefix + ": D holds " + skip.shape()[0] + " channels but the kernel "
                    + this.channels + "; split every S4D parameter by channels or none");
        }
        this.convolution = new CausalFftConvolution(this.channels);
    }

    /** The first of this instance's channels among all of them (0 unless a tensor-parallel slice). */
    public int firstChannel() {
        return (int) skip.slice().start(skip.logicalShape());
    }

    public int channels() { return channels; }

    /** x: [batch·seq, channels] rows → y, same shape, owned by this layer. */
    public INDArray forward(INDArray x, int batch, int seq) {
        requireRows(x, batch, seq);
        this.batch = batch;
        this.seq = seq;
        u = Layouts.rowsToChannels(x, batch, seq, channels, u);
        k = kernel.compute(seq);
        float[] out = new float[u.length];
        convolution.forward(u, k, batch, seq, out);
        float[] d = values(skip);
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < channels; h++) {
                int at = (b * channels + h) * seq;
                for (int t = 0; t < seq; t++) out[at + t] += d[h] * u[at + t];
            }
        }
        y = Buffers.reuse(y, (long) batch * seq, channels);
        Layouts.channelsToRows(out, batch, seq, channels, y);
        return y;
    }

    /** The kernel K [channels, seq] of the last forward, a new array. */
    public INDArray kernel() {
        if (k == null) throw new IllegalStateException("S4D kernel() before forward()");
        return org.nd4j.linalg.factory.Nd4j.create(k, new long[] {channels, seq}, 'c');
    }

    /** dy → dx ([batch·seq, channels] rows, owned by this layer); adds every parameter's gradient. */
    public INDArray backward(INDArray dy) {
        return backward(dy, null);
    }

    /**
     * As {@link #backward(INDArray)}, with {@code dKernel} [channels, seq] (or null) an extra
     * gradient arriving at K directly, for callers that use the kernel itself as an output.
     */
    public INDArray backward(INDArray dy, INDArray dKernel) {
        if (u == null) throw new IllegalStateException("S4D backward() before forward()");
        requireRows(dy, batch, seq);
        float[] g = Layouts.rowsToChannels(dy, batch, seq, channels, null);
        float[] du = new float[g.length];
        float[] dk = new float[channels * seq];
        convolution.backward(g, du, dk);
        if (dKernel != null) {
            float[] extra = dKernel.castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT).dup('c').data().asFloat();
            if (extra.length != dk.length) {
                throw new IllegalArgumentException("dKernel has " + extra.length + " elements, expected [" + channels
                        + ", " + seq + "]");
            }
            for (int i = 0; i < dk.length; i++) dk[i] += extra[i];
        }
        kernel.backward(dk);
        float[] d = values(skip);
        float[] dSkip = new float[channels];
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < channels; h++) {
                int at = (b * channels + h) * seq;
                double s = 0;
                for (int t = 0; t < seq; t++) {
                    s += (double) g[at + t] * u[at + t];
                    du[at + t] += d[h] * g[at + t];
                }
                dSkip[h] += (float) s;
            }
        }
        addToGrad(skip, dSkip);
        dx = Buffers.reuse(dx, (long) batch * seq, channels);
        Layouts.channelsToRows(du, batch, seq, channels, dx);
        return dx;
    }

    /** A zero state for {@code batch} sequences, discretized from the current parameters. */
    public S4DState newState(int batch) {
        return new S4DState(kernel.discretize(), values(skip), batch, channels, kernel.modes());
    }

    /**
     * One token per sequence: {@code u} [batch·channels] (sequence-major) → {@code y} of the same
     * shape, advancing {@code state}.
     */
    public void step(S4DState state, float[] u, float[] y) {
        state.step(u, y);
    }


    private void requireRows(INDArray x, int batch, int seq) {
        if (batch <= 0 || seq <= 0 || x.rank() != 2 || x.size(0) != (long) batch * seq || x.size(1) != channels) {
            throw new IllegalArgumentException("S4D input must be [batch*seq, channels] = [" + batch + "*" + seq + ", "
                    + channels + "], got shape " + java.util.Arrays.toString(x.shape()));
        }
    }
}
