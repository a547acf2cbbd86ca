package io.spindle.layers.attention;

import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.ParameterRole;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.core.SequenceMixer;
import io.spindle.layers.linear.Linear;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Causal multi-head self-attention (Vaswani et al. 2017, eq. 1) with RoPE on queries and keys,
 * scale 1/sqrt(headDim), no biases: {@code y = concat_h(softmax(q_h k_h^T / sqrt(d_h) + mask) v_h) Wo^T}.
 * Dense projections around a {@link CausalAttentionCore}.
 */
public final class CausalSelfAttention implements SequenceMixer {
    private final ProjectedAttention attention;

    /**
     * Registers {@code prefix.wq|wk|wv|wo}, each [dModel, dModel] role MATRIX; wq, wk, wv drawn
     * from {@code init}, the output projection wo from {@code outputInit}.
     */
    public CausalSelfAttention(ParameterSet params, String prefix, int dModel, int heads, int maxSeq,
                               double ropeBase, Initializer init, Initializer outputInit) {
        if (heads <= 0 || dModel % heads != 0) {
            throw new IllegalArgumentException("heads=" + heads + " does not divide dModel=" + dModel);
        }
        this.attention = new ProjectedAttention(
                new Linear(params, prefix + ".wq", dModel, dModel, ParameterRole.MATRIX, init),
                new Linear(params, prefix + ".wk", dModel, dModel, ParameterRole.MATRIX, init),
                new Linear(params, prefix + ".wv", dModel, dModel, ParameterRole.MATRIX, init),
                new Linear(params, prefix + ".wo", dModel, dModel, ParameterRole.MATRIX, outputInit),
                new CausalAttentionCore(dModel, heads, maxSeq, ropeBase));
    }

    @Override
    public INDArray forward(INDArray x, int batch, int seq) { return attention.forward(x, batch, seq); }

    @Override
    public INDArray backward(INDArray dy) { return attention.backward(dy); }
}
