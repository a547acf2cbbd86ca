package io.spindle.spark.config;

import io.spindle.layers.chain.ChainOptions;
import io.spindle.layers.masa.MasaOptions;
import io.spindle.layers.matformer.JointTraining;
import io.spindle.layers.matformer.MatFormerOptions;
import io.spindle.layers.mla.MlaOptions;
import io.spindle.layers.model.ModelVariant;

import java.util.Locale;

/**
 * Reads {@code model.ffnHiddenPerLayer}, {@code model.matformer.*}, {@code model.colm.*},
 * {@code model.masa.*}, {@code model.attention} and {@code model.mla.*}.
 */
final class ModelVariantReader {
    private ModelVariantReader() {}

    static ModelVariant read(TypedReader r) {
        MatFormerOptions matformer = new MatFormerOptions(r.intList("model.matformer.divisors"),
                mode(r, "model.matformer.mode"), r.doubleList("model.matformer.weights"));
        ChainOptions colm = new ChainOptions(r.intList("model.colm.chains"), r.bool("model.colm.air"),
                mode(r, "model.colm.prefixMode"), r.doubleList("model.colm.prefixWeights"));
        MasaOptions masa = new MasaOptions(r.intValue("model.masa.atoms"));
        boolean mla = r.oneOf("model.attention", "mha", "mla").equals("mla");
        MlaOptions latent = new MlaOptions(mla, r.intValue("model.mla.latent"), r.intValue("model.mla.headDim"),
                r.intValue("model.mla.ropeDim"), r.positiveInt("model.mla.tplaShards"),
                MlaOptions.Form.valueOf(r.oneOf("model.mla.sequenceForm", "mla", "tpla").toUpperCase(Locale.ROOT)));
        return new ModelVariant(r.intList("model.ffnHiddenPerLayer"), matformer, colm, masa, latent);
    }

    private static JointTraining.Mode mode(TypedReader r, String key) {
        return JointTraining.Mode.valueOf(r.oneOf(key, "summed", "sampled").toUpperCase(Locale.ROOT));
    }
}
