package io.spindle.layers.model;

import io.spindle.layers.attention.CausalSelfAttention;
import io.spindle.layers.chain.ChainAttention;
import io.spindle.layers.chain.ChainRMSNorm;
import io.spindle.layers.chain.ChainSwiGLU;
import io.spindle.layers.chain.Chains;
import io.spindle.layers.core.FeedForward;
import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.ffn.SwiGLU;
import io.spindle.layers.kan.GrKanFfn;
import io.spindle.layers.masa.AttentionDictionaries;
import io.spindle.layers.masa.MasaAttention;
import io.spindle.layers.matformer.MatFormerFFN;
import io.spindle.layers.mla.MultiHeadLatentAttention;
import io.spindle.layers.norm.RMSNorm;
import io.spindle.layers.ssm.MambaMixer;
import io.spindle.layers.ssm.RecurrentMixer;
import io.spindle.layers.ssm.S4DKernel;
import io.spindle.layers.ssm.S4DMixer;

/**
 * Builds block {@code layer} of a model: its mixer (model.mixers) and FFN (model.ffn) within its
 * variant. Parameter names are the baseline's ({@code blocks.<l>.attn_norm.weight},
 * {@code .attn.wq…}, {@code .ffn_norm.weight}, {@code .ffn.w1…}); state-space blocks hold
 * {@code .mamba.*} or {@code .s4d.*} instead of {@code .attn.*}, CoLM's chain layers add
 * {@code .chain<j>}, and MASA blocks hold no attention matrices (they read the shared
 * {@code masa.*} dictionaries); MLA blocks hold {@code .attn.wq, wdkv, kv_norm.weight, wuk, wuv,
 * wo, wq_rope, wk_rope}. Dense attention is wrapped in {@link WindowedAttention} so every block
 * can generate token by token; MLA decodes from its own KV-latent cache.
 */
final class BlockFactory {
    /** S4D's state size N as a model mixer (the S4D paper's default). */
    static final int S4D_STATE = 64;

    private BlockFactory() {}

    static TransformerBlock build(ParameterSet params, ModelConfig c, int layer, AttentionDictionaries masa) {
        String prefix = "blocks." + layer;
        ModelVariant v = c.variant();
        if (v.colm().enabled()) {
            Chains chains = v.colm().residual();
            Initializer init = TransformerBlock.init(c);
            Initializer outputInit = TransformerBlock.outputInit(c);
            return new TransformerBlock(
                    new ChainRMSNorm(params, prefix + ".attn_norm.weight", chains, c.normEps()),
                    new WindowedAttention(new ChainAttention(params, prefix + ".attn", chains, c.heads(), c.maxSeq(),
                            c.ropeBase(), v.colm().air(), init, outputInit), c.dModel(), c.maxSeq()),
                    new ChainRMSNorm(params, prefix + ".ffn_norm.weight", chains, c.normEps()),
                    new ChainSwiGLU(params, prefix + ".ffn", chains, chains.scaledTo(c.ffnHidden()), init, outputInit));
        }
        return new TransformerBlock(
                new RMSNorm(params, prefix + ".attn_norm.weight", c.dModel(), c.normEps()),
                mixer(params, prefix, c, layer, masa),
                new RMSNorm(params, prefix + ".ffn_norm.weight", c.dModel(), c.normEps()),
                ffn(params, prefix, c, layer));
    }

    /** Block {@code layer}'s sequence mixer; attention reads {@code masa}'s dictionaries when given. */
    static RecurrentMixer mixer(ParameterSet params, String prefix, ModelConfig c, int layer, AttentionDictionaries masa) {
        int d = c.dModel();
        Initializer init = TransformerBlock.init(c);
        Initializer outputInit = TransformerBlock.outputInit(c);
        return switch (c.mixer(layer)) {
            case "attention" -> c.variant().mla().enabled()
                    ? new MultiHeadLatentAttention(params, prefix + ".attn", c.variant().mla().shape(d, c.heads()), true,
                            c.normEps(), c.maxSeq(), c.ropeBase(), init, outputInit)
                    : new WindowedAttention(masa != null
                    ? new MasaAttention(masa, layer, c.heads(), c.maxSeq(), c.ropeBase())
                    : new CausalSelfAttention(params, prefix + ".attn", d, c.heads(), c.maxSeq(), c.ropeBase(), init,
                            outputInit), d, c.maxSeq());
            case "mamba" -> new MambaMixer(params, prefix + ".mamba", MambaMixer.Shape.standard(d), init, outputInit);
            case "s4d" -> new S4DMixer(params, prefix + ".s4d", d, S4D_STATE, S4DKernel.Init.LIN, outputInit);
            default -> throw new IllegalArgumentException("unknown mixer " + c.mixer(layer) + "; known: " + ModelConfig.MIXERS);
        };
    }

    /** Block {@code layer}'s feed-forward: MatFormer's nested SwiGLU, GR-KAN or SwiGLU. */
    static FeedForward ffn(ParameterSet params, String prefix, ModelConfig c, int layer) {
        Initializer init = TransformerBlock.init(c);
        Initializer outputInit = TransformerBlock.outputInit(c);
        if (c.variant().matformer().enabled()) {
            return new MatFormerFFN(params, prefix + ".ffn", c.dModel(), c.ffnHidden(), init, outputInit);
        }
        return c.ffn().equals("gr-kan")
                ? new GrKanFfn(params, prefix + ".ffn", c.dModel(), c.ffnHidden(layer), ModelConfig.GR_KAN_GROUPS, init, outputInit)
                : new SwiGLU(params, prefix + ".ffn", c.dModel(), c.ffnHidden(layer), init, outputInit);
    }

    /** The MASA dictionaries shared by all blocks, registered as {@code masa.*}; null without MASA. */
    static AttentionDictionaries dictionaries(ParameterSet params, ModelConfig c) {
        return c.variant().masa().enabled()
                ? AttentionDictionaries.register(params, "masa", c.layers(), c.variant().masa().atoms(), c.dModel(),
                        TransformerBlock.init(c), TransformerBlock.outputInit(c))
                : null;
    }

    /** The final norm: chain-wise for CoLM, so the first k chains' logits never see later chains. */
    static FeedForward finalNorm(ParameterSet params, ModelConfig c) {
        return c.variant().colm().enabled()
                ? new ChainRMSNorm(params, "final_norm.weight", c.variant().colm().residual(), c.normEps())
                : new RMSNorm(params, "final_norm.weight", c.dModel(), c.normEps());
    }
}
