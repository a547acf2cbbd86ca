package io.spindle.layers.ffn;

import io.spindle.layers.core.Buffers;
import io.spindle.layers.core.FeedForward;
import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.ParameterRole;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.linear.Linear;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * SwiGLU feed-forward (Shazeer 2020, eq. 6 with Swish_1 = SiLU), no biases:
 * {@code y = w2( silu(w1 x) * (w3 x) )}, w1 and w3 [hidden, dModel], w2 [dModel, hidden].
 */
public final class SwiGLU implements FeedForward {
    private final int hidden;
    private final Linear w1;
    private final Linear w2;
    private final Linear w3;
    private INDArray a;
    private INDArray b;
    private INDArray sigmoid;
    private INDArray gated;
    private INDArray da;
    private INDArray db;
    private INDArray dx;

    /** Registers {@code prefix.w1|w2|w3} (role MATRIX); w2, the output projection, from {@code outputInit}. */
    public SwiGLU(ParameterSet params, String prefix, int dModel, int hidden, Initializer init, Initializer outputInit) {
        this.hidden = hidden;
        this.w1 = new Linear(params, prefix + ".w1", dModel, hidden, ParameterRole.MATRIX, init);
        this.w2 = new Linear(params, prefix + ".w2", hidden, dModel, ParameterRole.MATRIX, outputInit);
        this.w3 = new Linear(params, prefix + ".w3", dModel, hidden, ParameterRole.MATRIX, init);
    }

    @Override
    public INDArray forward(INDArray x) {
        // x: [rows, dModel]; a = x w1^T, b = x w3^T: [rows, hidden]
        a = w1.forward(x);
        b = w3.forward(x);
        gated = Buffers.reuse(gated, a.size(0), hidden);
        sigmoid = Buffers.reuse(sigmoid, a.size(0), hidden);
        SwiGLUGate.forward(a, b, sigmoid, gated);
        return w2.forward(gated);
    }

    /** Backward through w2, the gate ({@link SwiGLUGate#backward}), then w1 and w3 into one dx. */
    @Override
    public INDArray backward(INDArray dy) {
        if (gated == null) throw new IllegalStateException("SwiGLU backward() before forward()");
        INDArray dg = w2.backward(dy);
        long rows = dg.size(0);
        da = Buffers.reuse(da, rows, hidden);
        db = Buffers.reuse(db, rows, hidden);
        SwiGLUGate.backward(a, b, sigmoid, dg, da, db);
        dx = Buffers.reuse(dx, rows, w1.in());
        w1.backward(da, dx, false);
        w3.backward(db, dx, true);
        return dx;
    }
}
