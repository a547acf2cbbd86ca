package io.spindle.layers.chain;

import io.spindle.layers.attention.CausalAttentionCore;
import io.spindle.layers.attention.ProjectedAttention;
import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.ParameterRole;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.core.SequenceMixer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * CoLM's chain attention: heads are assigned to chains in order (chain j holds
 * {@code size(j) / headDim} heads), and the q, k, v and output projections are chain layers
 * ({@link ChainLinear#causal}), so a head of chain j sees only input chains 0..j and output chain
 * j only heads of chains 0..j. RoPE and the causal softmax are the baseline's
 * ({@link CausalAttentionCore}).
 *
 * <p>With {@code air} (CoLM-Air), every head's keys and values are computed from the first
 * chain's input alone ({@link ChainLinear#fromFirstChain}) and so are shared by all chains: the
 * first chain's forward already yields every key and value a larger sub-model needs.
 *
 * <p>Parameters: {@code prefix.wq|wk|wv|wo.chain<j>}, role MATRIX.
 */
public final class ChainAttention implements SequenceMixer {
    private final Chains chains;
    private final boolean air;
    private final ChainLinear wq;
    private final ChainLinear wk;
    private final ChainLinear wv;
    private final ChainLinear wo;
    private final ProjectedAttention attention;

    public ChainAttention(ParameterSet params, String prefix, Chains chains, int heads, int maxSeq, double ropeBase,
                          boolean air, Initializer init, Initializer outputInit) {
        int width = chains.total();
        if (heads <= 0 || width % heads != 0) {
            throw new IllegalArgumentException(prefix + ": heads=" + heads + " does not divide the width " + width
                    + " of chains " + chains);
        }
        int headDim = width / heads;
        for (int j = 0; j < chains.count(); j++) {
            if (chains.size(j) % headDim != 0) {
                throw new IllegalArgumentException(prefix + ": chain " + j + " of " + chains + " has size " + chains.size(j)
                        + ", not a whole number of heads of size " + headDim + " (width " + width + " / " + heads
                        + " heads); choose heads so that every chain size is a multiple of the head size");
            }
        }
        this.chains = chains;
        this.air = air;
        this.wq = ChainLinear.causal(params, prefix + ".wq", chains, chains, ParameterRole.MATRIX, init);
        this.wk = air ? ChainLinear.fromFirstChain(params, prefix + ".wk", chains, chains, ParameterRole.MATRIX, init)
                : ChainLinear.causal(params, prefix + ".wk", chains, chains, ParameterRole.MATRIX, init);
        this.wv = air ? ChainLinear.fromFirstChain(params, prefix + ".wv", chains, chains, ParameterRole.MATRIX, init)
                : ChainLinear.causal(params, prefix + ".wv", chains, chains, ParameterRole.MATRIX, init);
        this.wo = ChainLinear.causal(params, prefix + ".wo", chains, chains, ParameterRole.MATRIX, outputInit);
        this.attention = new ProjectedAttention(wq, wk, wv, wo, new CausalAttentionCore(width, heads, maxSeq, ropeBase));
    }

    public Chains chains() { return chains; }

    public boolean air() { return air; }

    /** The projection {@code name} of q, k, v, o. */
    public ChainLinear projection(char name) {
        return switch (name) {
            case 'q' -> wq;
            case 'k' -> wk;
            case 'v' -> wv;
            case 'o' -> wo;
            default -> throw new IllegalArgumentException("no projection '" + name + "'; choose q, k, v or o");
        };
    }

    @Override
    public INDArray forward(INDArray x, int batch, int seq) { return attention.forward(x, batch, seq); }

    @Override
    public INDArray backward(INDArray dy) { return attention.backward(dy); }
}
