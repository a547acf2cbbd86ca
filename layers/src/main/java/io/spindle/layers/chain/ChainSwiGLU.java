package io.spindle.layers.chain;

import io.spindle.layers.core.Buffers;
import io.spindle.layers.core.FeedForward;
import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.ParameterRole;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.ffn.SwiGLUGate;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * CoLM's FFN: SwiGLU whose three projections are chain layers, the hidden layer split into chains
 * in the residual stream's proportions; hidden chain j reads model chains 0..j and output chain j
 * reads hidden chains 0..j. The gate is elementwise, so it keeps the chain structure.
 * Parameters {@code prefix.w1|w2|w3.chain<j>}, role MATRIX.
 */
public final class ChainSwiGLU implements FeedForward {
    private final ChainLinear w1;
    private final ChainLinear w2;
    private final ChainLinear w3;
    private INDArray a;
    private INDArray b;
    private INDArray sigmoid;
    private INDArray gated;
    private INDArray da;
    private INDArray db;
    private INDArray dx;

    public ChainSwiGLU(ParameterSet params, String prefix, Chains model, Chains hidden, Initializer init,
                       Initializer outputInit) {
        this.w1 = ChainLinear.causal(params, prefix + ".w1", model, hidden, ParameterRole.MATRIX, init);
        this.w2 = ChainLinear.causal(params, prefix + ".w2", hidden, model, ParameterRole.MATRIX, outputInit);
        this.w3 = ChainLinear.causal(params, prefix + ".w3", model, hidden, ParameterRole.MATRIX, init);
    }

    @Override
    public INDArray forward(INDArray x) {
        a = w1.forward(x);
        b = w3.forward(x);
        gated = Buffers.reuse(gated, a.shape());
        sigmoid = Buffers.reuse(sigmoid, a.shape());
        SwiGLUGate.forward(a, b, sigmoid, gated);
        return w2.forward(gated);
    }

    @Override
    public INDArray backward(INDArray dy) {
        if (gated == null) throw new IllegalStateException("chain SwiGLU backward() before forward()");
        INDArray dg = w2.backward(dy);
        da = Buffers.reuse(da, dg.shape());
        db = Buffers.reuse(db, dg.shape());
        SwiGLUGate.backward(a, b, sigmoid, dg, da, db);
        dx = Buffers.reuse(dx, dy.size(0), w1.in().total());
        w1.backward(da, dx, false);
        w3.backward(db, dx, true);
        return dx;
    }
}
