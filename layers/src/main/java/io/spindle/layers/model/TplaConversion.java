package io.spindle.layers.model;

import io.spindle.layers.mla.LatentTransform;
import io.spindle.layers.mla.MlaOptions;
import io.spindle.layers.mla.MultiHeadLatentAttention;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Converts a model trained with MLA into one that decodes in TPLA form over T tensor-parallel
 * ranks, without retraining (Tang et al. 2025): per MLA block, an orthogonal transform of the
 * latent (none, Hadamard, or PCA of calibration latents) is folded into its weights
 * ({@link LatentTransform#fold}), so the converted model's full-sequence MLA form computes what
 * the trained model did, and {@code model.mla.tplaShards = T} makes decoding slice the rotated
 * latent. Full sequences (eval, the prompt's prefill) stay in MLA form, as in the paper.
 */
public final class TplaConversion {
    private TplaConversion() {}

    /**
     * @param calibration token ids [batch*seq] the PCA transform's latents come from (unused otherwise)
     */
    public static SubModel fromMla(ModelConfig config, Map<String, INDArray> params, int shards, LatentTransform.Kind kind,
                                   int[] calibration, int batch, int seq) {
        MlaOptions mla = config.variant().mla();
        if (!mla.enabled()) {
            throw new IllegalArgumentException("TPLA conversion needs an MLA model (model.attention=mla); model."
                    + config.flavor() + " has multi-head attention");
        }
        ModelConfig converted = config.withVariant(config.variant().withMla(mla.withTpla(shards, MlaOptions.Form.MLA)));
        int latent = mla.shape(config.dModel(), config.heads()).latent();
        INDArray hadamard = kind == LatentTransform.Kind.HADAMARD ? LatentTransform.hadamard(latent) : null;
        List<INDArray> pca = kind == LatentTransform.Kind.PCA ? principalAxes(config, params, calibration, batch, seq) : null;
        Map<String, INDArray> out = new LinkedHashMap<>(params);
        for (int l = 0; l < config.layers(); l++) {
            if (!config.mixer(l).equals("attention") || kind == LatentTransform.Kind.NONE) continue;
            String p = "blocks." + l + ".attn.";
            LatentTransform.LatentWeights folded = LatentTransform.fold(new LatentTransform.LatentWeights(
                    MatFormerExtraction.require(params, p + "wdkv"), MatFormerExtraction.require(params, p + "kv_norm.weight"),
                    MatFormerExtraction.require(params, p + "wuk"), MatFormerExtraction.require(params, p + "wuv")),
                    hadamard != null ? hadamard : pca.get(l));
            out.put(p + "wdkv", folded.wdkv());
            out.put(p + "kv_norm.weight", folded.gain());
            out.put(p + "wuk", folded.wuk());
            out.put(p + "wuv", folded.wuv());
        }
        return new SubModel(converted, out);
    }

    /** Per block, the PCA transform of its normalized latent over the calibration tokens (null for non-attention blocks). */
    private static List<INDArray> principalAxes(ModelConfig config, Map<String, INDArray> params, int[] calibration,
                                                int batch, int seq) {
        if (calibration == null || calibration.length == 0) {
            throw new IllegalArgumentException("--transform pca needs calibration tokens; the run's prepared data has none");
        }
        TransformerLM model = new SubModel(config, params).build(0);
        model.forwardLogits(calibration, batch, seq);
        List<INDArray> axes = new ArrayList<>();
        for (int l = 0; l < config.layers(); l++) {
            axes.add(model.mixer(l) instanceof MultiHeadLatentAttention attn
                    ? LatentTransform.pca(List.of(attn.latent().dup())) : null);
        }
        return axes;
    }
}
