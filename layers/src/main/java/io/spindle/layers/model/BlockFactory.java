package io.spindle.layers.model;

import io.spindle.layers.attention.CausalSelfAttention;
import io.spindle.layers.chain.ChainAttention;
import io.spindle.layers.chain.ChainRMSNorm;
import io.spindle.layers.chain.ChainSwiGLU;
import io.spindle.layers.chain.Chains;
import io.spindle.layers.core.FeedForward;
import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.core.SequenceMixer;
import io.spindle.layers.ffn.SwiGLU;
import io.spindle.layers.masa.AttentionDictionaries;
import io.spindle.layers.masa.MasaAttention;
import io.spindle.layers.matformer.MatFormerFFN;
import io.spindle.layers.norm.RMSNorm;

/**
 * Builds block {@code layer} of a model variant. Parameter names are the baseline's
 * ({@code blocks.<l>.attn_norm.weight}, {@code .attn.wq…}, {@code .ffn_norm.weight},
 * {@code .ffn.w1…}); CoLM's chain layers add {@code .chain<j>}, and MASA blocks hold no attention
 * matrices (they read the shared {@code masa.*} dictionaries).
 */
final class BlockFactory {
    private BlockFactory() {}

    static TransformerBlock build(ParameterSet params, ModelConfig c, int layer, AttentionDictionaries masa) {
        String prefix = "blocks." + layer;
        Initializer init = TransformerBlock.init(c);
        Initializer outputInit = TransformerBlock.outputInit(c);
        ModelVariant v = c.variant();
        if (v.colm().enabled()) {
            Chains chains = v.colm().residual();
            return new TransformerBlock(
                    new ChainRMSNorm(params, prefix + ".attn_norm.weight", chains, c.normEps()),
                    new ChainAttention(params, prefix + ".attn", chains, c.heads(), c.maxSeq(), c.ropeBase(), v.colm().air(),
                            init, outputInit),
                    new ChainRMSNorm(params, prefix + ".ffn_norm.weight", chains, c.normEps()),
                    new ChainSwiGLU(params, prefix + ".ffn", chains, chains.scaledTo(c.ffnHidden()), init, outputInit));
        }
        FeedForward attnNorm = new RMSNorm(params, prefix + ".attn_norm.weight", c.dModel(), c.normEps());
        SequenceMixer attn = masa != null
                ? new MasaAttention(masa, layer, c.heads(), c.maxSeq(), c.ropeBase())
                : new CausalSelfAttention(params, prefix + ".attn", c.dModel(), c.heads(), c.maxSeq(), c.ropeBase(),
                        init, outputInit);
        FeedForward ffnNorm = new RMSNorm(params, prefix + ".ffn_norm.weight", c.dModel(), c.normEps());
        FeedForward ffn = v.matformer().enabled()
                ? new MatFormerFFN(params, prefix + ".ffn", c.dModel(), c.ffnHidden(), init, outputInit)
                : new SwiGLU(params, prefix + ".ffn", c.dModel(), c.ffnHidden(layer), init, outputInit);
        return new TransformerBlock(attnNorm, attn, ffnNorm, ffn);
    }

    /** The final norm: chain-wise for CoLM, so the first k chains' logits never see later chains. */
    static FeedForward finalNorm(ParameterSet params, ModelConfig c) {
        return c.variant().colm().enabled()
                ? new ChainRMSNorm(params, "final_norm.weight", c.variant().colm().residual(), c.normEps())
                : new RMSNorm(params, "final_norm.weight", c.dModel(), c.normEps());
    }
}
