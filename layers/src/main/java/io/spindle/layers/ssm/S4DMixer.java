package io.spindle.layers.ssm;

import io.spindle.layers.core.Buffers;
import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.ParameterRole;
import io.spindle.layers.core.ParameterSet;
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
 */
public final class S4DMixer implements RecurrentMixer {
    private final int dModel;
    private final S4D ssm;
    private final Linear out;
    private INDArray s;
    private INDArray a;
    private INDArray ds;
    private INDArray stepIn;

    public S4DMixer(ParameterSet params, String prefix, int dModel, int stateSize, S4DKernel.Init init,
                    Initializer outputInit) {
        this.dModel = dModel;
        this.ssm = new S4D(params, prefix + ".ssm", dModel, stateSize, init);
        this.out = new Linear(params, prefix + ".out", dModel, dModel, ParameterRole.MATRIX, outputInit);
    }

    @Override
    public INDArray forward(INDArray x, int batch, int seq) {
        s = ssm.forward(x, batch, seq);
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
        return ssm.backward(ds);
    }

    @Override
    public State start(int batch) {
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
