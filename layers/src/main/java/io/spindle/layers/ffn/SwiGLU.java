package io.spindle.layers.ffn;

import io.spindle.layers.core.Buffers;
import io.spindle.layers.core.FeedForward;
import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.ParameterRole;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.core.Projection;
import io.spindle.layers.linear.Linear;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * SwiGLU feed-forward (Shazeer 2020, eq. 6 with Swish_1 = SiLU), no biases:
 * {@code y = w2( silu(w1 x) * (w3 x) )}, w1 and w3 [hidden, dModel], w2 [dModel, hidden].
 */
public final class SwiGLU implements FeedForward {
    private final Projection w1;
    private final Projection w2;
    private final Projection w3;
    private INDArray a;
    private INDArray b;
    private INDArray sigmoid;
    private INDArray gated;
    private INDArray dGated;
    private INDArray da;
    private INDArray db;
    private INDArray dx;

    /** Registers {@code prefix.w1|w2|w3} (role MATRIX); w2, the output projection, from {@code outputInit}. */
    public SwiGLU(ParameterSet params, String prefix, int dModel, int hidden, Initializer init, Initializer outputInit) {
        this(new Linear(params, prefix + ".w1", dModel, hidden, ParameterRole.MATRIX, init),
                new Linear(params, prefix + ".w2", hidden, dModel, ParameterRole.MATRIX, outputInit),
                new Linear(params, prefix + ".w3", dModel, hidden, ParameterRole.MATRIX, init));
    }

    /** A SwiGLU around any projections (chain-structured ones, for example); w1 and w3 map dModel → hidden. */
    public SwiGLU(Projection w1, Projection w2, Projection w3) {
        if (w3.inWidth() != w1.inWidth() || w3.outWidth() != w1.outWidth() || w2.inWidth() != w1.outWidth()) {
            throw new IllegalArgumentException("SwiGLU projections do not fit: w1 " + w1.inWidth() + "→" + w1.outWidth()
                    + ", w3 " + w3.inWidth() + "→" + w3.outWidth() + ", w2 " + w2.inWidth() + "→" + w2.outWidth());
        }
        this.w1 = w1;
        this.w2 = w2;
        this.w3 = w3;
    }

    @Override
    public INDArray forward(INDArray x) {
        // x: [rows, dModel]; a = x w1^T, b = x w3^T: [rows, hidden]
        a = w1.forward(x);
        b = w3.forward(x);
        gated = Buffers.reuse(gated, a.shape());
        sigmoid = Buffers.reuse(sigmoid, a.shape());
        SwiGLUGate.forward(a, b, sigmoid, gated);
        return w2.forward(gated);
    }

    /** Backward through w2, the gate ({@link SwiGLUGate#backward}), then w1 and w3 into one dx. */
    @Override
    public INDArray backward(INDArray dy) {
        if (gated == null) throw new IllegalStateException("SwiGLU backward() before forward()");
        long rows = dy.size(0);
        dGated = Buffers.reuse(dGated, gated.shape());
        da = Buffers.reuse(da, gated.shape());
        db = Buffers.reuse(db, gated.shape());
        w2.backward(dy, dGated, false);
        SwiGLUGate.backward(a, b, sigmoid, dGated, da, db);
        dx = Buffers.reuse(dx, rows, w1.inWidth());
        w1.backward(da, dx, false);
        w3.backward(db, dx, true);
        w1.completeInputGradient(dx); // w1 and w3 read x the same way: one completion for both
        return dx;
    }
}
