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
 * Dense projections around a {@link CausalAttentionCore}. When the parameter set holds slices of
 * wq, wk, wv by output rows and of wo by input columns (Megatron's head split), this instance
 * computes its share of the heads and wo sums the shares.
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
        Linear wq = new Linear(params, prefix + ".wq", dModel, dModel, ParameterRole.MATRIX, init);
        Linear wk = new Linear(params, prefix + ".wk", dModel, dModel, ParameterRole.MATRIX, init);
        Linear wv = new Linear(params, prefix + ".wv", dModel, dModel, ParameterRole.MATRIX, init);
        Linear wo = new Linear(params, prefix + ".wo", dModel, dModel, ParameterRole.MATRIX, outputInit);
        // With q/k/v sliced by output rows (tensor parallel), this instance holds whole heads only.
        int width = wq.out();
        int headDim = dModel / heads;
        if (width % headDim != 0 || wk.out() != width || wv.out() != width || wo.in() != width) {
            throw new IllegalArgumentException(prefix + ": q/k/v/o widths " + width + "/" + wk.out() + "/" + wv.out()
                    + "/" + wo.in() + " are not the same whole number of heads of size " + headDim);
        }
        this.attention = new ProjectedAttention(wq, wk, wv, wo,
                new CausalAttentionCore(width, width / headDim, maxSeq, ropeBase));
    }

    @Override
    public INDArray forward(INDArray x, int batch, int seq) { return attention.forward(x, batch, seq); }

    @Override
    public INDArray backward(INDArray dy) { return attention.backward(dy); }
}
