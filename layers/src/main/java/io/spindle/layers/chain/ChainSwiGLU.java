package io.spindle.layers.chain;

import io.spindle.layers.core.FeedForward;
import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.ParameterRole;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.ffn.SwiGLU;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * CoLM's FFN: SwiGLU whose three projections are chain layers, the hidden layer split into chains
 * in the residual stream's proportions; hidden chain j reads model chains 0..j and output chain j
 * reads hidden chains 0..j. The gate is elementwise, so it keeps the chain structure.
 * Parameters {@code prefix.w1|w2|w3.chain<j>}, role MATRIX.
 */
public final class ChainSwiGLU implements FeedForward {
    private final SwiGLU ffn;

    public ChainSwiGLU(ParameterSet params, String prefix, Chains model, Chains hidden, Initializer init,
                       Initializer outputInit) {
        this.ffn = new SwiGLU(ChainLinear.causal(params, prefix + ".w1", model, hidden, ParameterRole.MATRIX, init),
                ChainLinear.causal(params, prefix + ".w2", hidden, model, ParameterRole.MATRIX, outputInit),
                ChainLinear.causal(params, prefix + ".w3", model, hidden, ParameterRole.MATRIX, init));
    }

    @Override
    public INDArray forward(INDArray x) { return ffn.forward(x); }

    @Override
    public INDArray backward(INDArray dy) { return ffn.backward(dy); }
}
