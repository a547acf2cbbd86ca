package io.spindle.layers.model;

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
 * @param variant   MatFormer / CoLM / MASA / per-layer FFN widths; {@link ModelVariant#BASELINE} for none
 */
public record ModelConfig(String flavor, int vocabSize, int dModel, int layers, int heads, int ffnHidden,
                          int maxSeq, double ropeBase, double normEps, double initStd, ModelVariant variant) {

    /** The baseline decoder (no MatFormer, CoLM or MASA). */
    public ModelConfig(String flavor, int vocabSize, int dModel, int layers, int heads, int ffnHidden,
                       int maxSeq, double ropeBase, double normEps, double initStd) {
        this(flavor, vocabSize, dModel, layers, heads, ffnHidden, maxSeq, ropeBase, normEps, initStd, ModelVariant.BASELINE);
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
        if (variant == null) variant = ModelVariant.BASELINE;
        VariantChecks.check(dModel, layers, heads, ffnHidden, variant);
    }

    /** This config with another variant. */
    public ModelConfig withVariant(ModelVariant v) {
        return new ModelConfig(flavor, vocabSize, dModel, layers, heads, ffnHidden, maxSeq, ropeBase, normEps, initStd, v);
    }

    /** Block {@code layer}'s FFN hidden size: model.ffnHiddenPerLayer[layer] if given, else model.ffnHidden. */
    public int ffnHidden(int layer) {
        return variant.ffnHiddenPerLayer().isEmpty() ? ffnHidden : variant.ffnHiddenPerLayer().get(layer);
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
