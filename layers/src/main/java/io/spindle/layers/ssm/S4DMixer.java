package io.spindle.layers.ssm;

import io.spindle.layers.core.Buffers;
import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.ParameterRole;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.core.ShardLayout;
import io.spindle.layers.kan.Gelu;
import io.spindle.layers.linear.Linear;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;

/**
 * S4D as a model's sequence mixer, the S4D paper's block without dropout:
 * {@code y = W_out gelu(S4D(x))}, one SSM per residual channel (H = dModel), then a
 * position-wise output projection {@code [dModel, dModel]} that mixes channels (the reference
 * uses a 1×1 convolution with a GLU; a plain projection keeps the block the same width as an
 * attention layer's output). Parameters: {@code prefix.ssm.*} (see {@link S4D}) and
 * {@code prefix.out} (MATRIX).
 *
 * <p>When the parameter set holds a slice of the channels ({@code prefix.ssm.*} by channel rows,
 * {@code out} by input columns: tensor parallelism), this instance runs its channels' SSMs on its
 * columns of x, {@code out} sums the holders' partial outputs, and the input gradient, which each
 * holder has for its columns only, is completed over the holders.
 */
public final class S4DMixer implements RecurrentMixer {
    private final int dModel;
    private final S4D ssm;
    private final Linear out;
    private final ShardLayout layout;
    private final boolean sliced;
    private INDArray columns;
    private INDArray dx;
    private INDArray s;
    private INDArray a;
    private INDArray ds;
    private INDArray stepIn;

    public S4DMixer(ParameterSet params, String prefix, int dModel, int stateSize, S4DKernel.Init init,
                    Initializer outputInit) {
        this.dModel = dModel;
        this.ssm = new S4D(params, prefix + ".ssm", dModel, stateSize, init);
        this.out = new Linear(params, prefix + ".out", dModel, dModel, ParameterRole.MATRIX, outputInit);
        this.layout = params.layout();
        this.sliced = ssm.channels() != dModel;
        if (out.in() != ssm.channels()) {
            throw new IllegalArgumentException(prefix + ": out reads " + out.in() + " channels but the SSM runs "
                    + ssm.channels() + "; split out by input columns with the SSM's channels");
        }
    }

    @Override
    public INDArray forward(INDArray x, int batch, int seq) {
        s = ssm.forward(sliced ? myColumns(x) : x, batch, seq);
        a = Buffers.reuse(a, s.shape());
        Gelu.forward(s, a);
        return out.forward(a);
    }

    @Override
    public INDArray backward(INDArray dy) {
        if (s == null) throw new IllegalStateException("S4D mixer backward() before forward()");
        INDArray da = out.backward(dy);
        ds = Buffers.reuse(ds, da.shape());
        Gelu.backward(s, da, ds);
        INDArray dMine = ssm.backward(ds);
        if (!sliced) return dMine;
        // each holder has the gradient of its columns: place them in a zero [rows, dModel] and add up
        dx = Buffers.reuse(dx, dMine.size(0), dModel);
        dx.assign(0f);
        copyColumns(dMine, 0, dx, ssm.firstChannel(), (int) dMine.size(0), ssm.channels(), ssm.channels(), dModel);
        layout.sumPartials(dx);
        return dx;
    }

    /** This instance's channels of x, [rows, channels], owned by this layer. */
    private INDArray myColumns(INDArray x) {
        int rows = (int) x.size(0);
        columns = Buffers.reuse(columns, rows, ssm.channels());
        copyColumns(x, ssm.firstChannel(), columns, 0, rows, ssm.channels(), dModel, ssm.channels());
        return columns;
    }

    private static void copyColumns(INDArray from, int fromColumn, INDArray to, int toColumn, int rows, int width,
                                    int fromStride, int toStride) {
        FloatBuffer src = Buffers.floats(from);
        FloatBuffer dst = Buffers.floats(to);
        float[] row = new float[width];
        for (int r = 0; r < rows; r++) {
            src.get((int) from.offset() + r * fromStride + fromColumn, row, 0, width);
            dst.put((int) to.offset() + r * toStride + toColumn, row, 0, width);
        }
    }

    @Override
    public State start(int batch) {
        if (sliced) {
            throw new IllegalStateException("S4D decoding needs every channel; this instance holds " + ssm.channels()
                    + " of " + dModel + " (a tensor-parallel share): decode from the checkpoint, which holds whole tensors");
        }
        return new Recurrent(ssm.newState(batch));
    }

    @Override
    public INDArray step(INDArray x, State state) {
        S4DState st = ((Recurrent) state).ssm;
        int batch = st.batch();
        if (x.rank() != 2 || x.size(0) != batch || x.size(1) != dModel) {
            throw new IllegalArgumentException("S4D mixer step needs x of shape [" + batch + ", " + dModel + "], got "
                    + java.util.Arrays.toString(x.shape()));
        }
        float[] u = new float[batch * dModel];
        Buffers.floats(x).get((int) x.offset(), u, 0, u.length);
        float[] y = new float[u.length];
        ssm.step(st, u, y);
        Gelu.forward(y, y, 0, y.length);
        stepIn = Buffers.reuse(stepIn, batch, dModel);
        FloatBuffer in = Buffers.floats(stepIn);
        in.put((int) stepIn.offset(), y, 0, y.length);
        return out.forward(stepIn);
    }

    private record Recurrent(S4DState ssm) implements State {
        @Override
        public int batch() { return ssm.batch(); }
    }
}
