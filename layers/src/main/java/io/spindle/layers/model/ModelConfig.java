package io.spindle.layers.model;

import java.util.List;

/**
 * The shape of a decoder-only language model. Field names are the config keys
 * ({@code model.<field>}); every check names the key, the bad value and a fix, because a wrong
 * value here should stop a run before any Spark work starts.
 *
 * @param flavor    the registry name this config started from ({@link ModelFlavors}), or a custom label
 * @param vocabSize token ids are in [0, vocabSize)
 * @param dModel    residual stream width
 * @param layers    number of transformer blocks
 * @param heads     attention heads; must divide dModel, and dModel/heads must be even for RoPE
 * @param ffnHidden SwiGLU hidden width
 * @param maxSeq    longest sequence the RoPE tables cover
 * @param ropeBase  RoPE frequency base (10000 in Su et al. 2021)
 * @param normEps   RMSNorm epsilon
 * @param initStd   standard deviation of the normal initialization of matrices, embedding and head
 * @param mixers    the sequence mixer of each block ({@link #MIXERS}); empty means attention in every block
 * @param ffn       the feed-forward of every block ({@link #FFNS})
 * @param variant   MatFormer / CoLM / MASA / per-layer FFN widths; {@link ModelVariant#BASELINE} for none
 */
public record ModelConfig(String flavor, int vocabSize, int dModel, int layers, int heads, int ffnHidden,
                          int maxSeq, double ropeBase, double normEps, double initStd, List<String> mixers, String ffn,
                          ModelVariant variant) {
    /** Sequence mixers a block can have: causal attention, Mamba (standard shape), S4D (N = 64, S4D-Lin). */
    public static final List<String> MIXERS = List.of("attention", "mamba", "s4d");
    /** Feed-forwards a block can have: SwiGLU, or KAT's GR-KAN with {@link #GR_KAN_GROUPS} groups. */
    public static final List<String> FFNS = List.of("swiglu", "gr-kan");
    /** KAT's default number of rational groups. */
    public static final int GR_KAN_GROUPS = 8;

    /** Attention and SwiGLU in every block: the baseline decoder (no MatFormer, CoLM or MASA). */
    public ModelConfig(String flavor, int vocabSize, int dModel, int layers, int heads, int ffnHidden,
                       int maxSeq, double ropeBase, double normEps, double initStd) {
        this(flavor, vocabSize, dModel, layers, heads, ffnHidden, maxSeq, ropeBase, normEps, initStd, ModelVariant.BASELINE);
    }

    /** Per-block mixers and the FFN kind, no MatFormer, CoLM or MASA. */
    public ModelConfig(String flavor, int vocabSize, int dModel, int layers, int heads, int ffnHidden,
                       int maxSeq, double ropeBase, double normEps, double initStd, List<String> mixers, String ffn) {
        this(flavor, vocabSize, dModel, layers, heads, ffnHidden, maxSeq, ropeBase, normEps, initStd, mixers, ffn,
                ModelVariant.BASELINE);
    }

    /** Attention and SwiGLU in every block, with a MatFormer / CoLM / MASA variant. */
    public ModelConfig(String flavor, int vocabSize, int dModel, int layers, int heads, int ffnHidden,
                       int maxSeq, double ropeBase, double normEps, double initStd, ModelVariant variant) {
        this(flavor, vocabSize, dModel, layers, heads, ffnHidden, maxSeq, ropeBase, normEps, initStd, List.of(), "swiglu",
                variant);
    }

    public ModelConfig {
        if (flavor == null || flavor.isBlank()) {
            throw new IllegalArgumentException("model.flavor is empty; name the flavor, e.g. tiny or small");
        }
        positive("vocabSize", vocabSize, "a byte-level tokenizer needs 258");
        positive("dModel", dModel, "e.g. 128");
        positive("layers", layers, "e.g. 4");
        positive("heads", heads, "e.g. 4");
        positive("ffnHidden", ffnHidden, "about 8/3 of model.dModel is the SwiGLU convention");
        positive("maxSeq", maxSeq, "e.g. 256");
        if (dModel % heads != 0) {
            throw new IllegalArgumentException("model.heads=" + heads + " does not divide model.dModel=" + dModel
                    + "; choose a divisor of " + dModel);
        }
        if ((dModel / heads) % 2 != 0) {
            throw new IllegalArgumentException("model.dModel/model.heads=" + dModel + "/" + heads + "=" + dModel / heads
                    + " is odd, but RoPE rotates pairs of dimensions; choose model.heads so that the head size is even");
        }
        if (!(ropeBase > 1) || Double.isInfinite(ropeBase)) {
            throw new IllegalArgumentException("model.ropeBase=" + ropeBase
                    + " must be a finite number greater than 1; 10000 is the usual value");
        }
        if (!(normEps > 0) || !(normEps < 1)) {
            throw new IllegalArgumentException("model.normEps=" + normEps + " must be in (0, 1); 1e-5 is usual");
        }
        if (!(initStd > 0) || !(initStd < 1)) {
            throw new IllegalArgumentException("model.initStd=" + initStd + " must be in (0, 1); 0.02 is usual");
        }
        mixers = List.copyOf(mixers == null ? List.of() : mixers);
        if (!mixers.isEmpty() && mixers.size() != layers) {
            throw new IllegalArgumentException("model.mixers has " + mixers.size() + " entries but model.layers=" + layers
                    + "; give one mixer per layer, e.g. [" + String.join(", ", java.util.Collections.nCopies(layers, "mamba"))
                    + "], or leave it empty for attention everywhere");
        }
        for (String m : mixers) {
            if (!MIXERS.contains(m)) {
                throw new IllegalArgumentException("model.mixers has '" + m + "'; each entry must be one of " + MIXERS);
            }
        }
        if (!FFNS.contains(ffn)) {
            throw new IllegalArgumentException("model.ffn=\"" + ffn + "\" must be one of " + FFNS);
        }
        if (variant == null) variant = ModelVariant.BASELINE;
        VariantChecks.check(dModel, layers, heads, ffnHidden, variant);
        VariantChecks.checkBlockKinds(mixers, ffn, variant);
        for (int l = 0; l < layers; l++) {
            int hidden = ffnHidden(ffnHidden, variant, l);
            if (ffn.equals("gr-kan") && (dModel % GR_KAN_GROUPS != 0 || hidden % GR_KAN_GROUPS != 0)) {
                String key = variant.ffnHiddenPerLayer().isEmpty() ? "model.ffnHidden" : "model.ffnHiddenPerLayer[" + l + "]";
                throw new IllegalArgumentException("model.ffn=gr-kan shares rational coefficients over " + GR_KAN_GROUPS
                        + " channel groups, so model.dModel=" + dModel + " and " + key + "=" + hidden
                        + " must both be multiples of " + GR_KAN_GROUPS);
            }
        }
    }

    /** This config with another variant (same mixers and FFN kind). */
    public ModelConfig withVariant(ModelVariant v) {
        return new ModelConfig(flavor, vocabSize, dModel, layers, heads, ffnHidden, maxSeq, ropeBase, normEps, initStd,
                mixers, ffn, v);
    }

    /** Block {@code layer}'s FFN hidden size: model.ffnHiddenPerLayer[layer] if given, else model.ffnHidden. */
    public int ffnHidden(int layer) {
        return ffnHidden(ffnHidden, variant, layer);
    }

    private static int ffnHidden(int ffnHidden, ModelVariant variant, int layer) {
        return variant.ffnHiddenPerLayer().isEmpty() ? ffnHidden : variant.ffnHiddenPerLayer().get(layer);
    }

    /** The sequence mixer of block {@code layer}. */
    public String mixer(int layer) {
        return mixers.isEmpty() ? "attention" : mixers.get(layer);
    }

    /** Whether some block has a state-space mixer, whose generation runs token by token from a state. */
    public boolean hasRecurrentMixers() {
        for (int i = 0; i < layers; i++) if (!mixer(i).equals("attention")) return true;
        return false;
    }

    private static void positive(String field, int value, String hint) {
        if (value <= 0) {
            throw new IllegalArgumentException("model." + field + "=" + value + " must be positive; " + hint);
        }
    }

    /** dModel / heads. */
    public int headDim() { return dModel / heads; }

    /** The number of trainable scalars the model built from this config holds. */
    public long parameterCount() {
        return ParameterCounts.total(this);
    }
}
