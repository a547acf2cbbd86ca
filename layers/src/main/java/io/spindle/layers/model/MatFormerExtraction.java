package io.spindle.layers.model;

import io.spindle.layers.matformer.MatFormerOptions;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Extracts a standalone model from a trained MatFormer (Devvrit et al. 2023, §3.3): block l keeps
 * the first {@code widths[l]} FFN neurons, {@code w1[:m]}, {@code w3[:m]}, {@code w2[:, :m]}, and
 * everything else is copied. Equal widths give one granularity; differing widths a Mix'n'Match
 * model, stored with per-layer FFN sizes. The result is a plain (non-nested) model whose
 * forward equals the MatFormer's with {@link TransformerLM#useFfnWidths} set to the same widths.
 */
public final class MatFormerExtraction {
    private MatFormerExtraction() {}

    public static SubModel extract(ModelConfig config, Map<String, INDArray> params, int... widths) {
        if (!config.variant().matformer().enabled()) {
            throw new IllegalArgumentException("model." + config.flavor() + " is not a MatFormer (model.matformer.divisors"
                    + " is empty); only a MatFormer checkpoint has nested FFNs to extract");
        }
        if (widths.length != config.layers()) {
            throw new IllegalArgumentException(widths.length + " FFN widths for model.layers=" + config.layers()
                    + "; give one width per layer (or use a granularity for all)");
        }
        Map<String, INDArray> out = new LinkedHashMap<>(params);
        List<Integer> perLayer = new ArrayList<>();
        boolean uniform = true;
        for (int l = 0; l < widths.length; l++) {
            int m = widths[l];
            if (m < 1 || m > config.ffnHidden()) {
                throw new IllegalArgumentException("FFN width " + m + " of layer " + l + " is outside [1, model.ffnHidden="
                        + config.ffnHidden() + "]");
            }
            String ffn = "blocks." + l + ".ffn.";
            out.put(ffn + "w1", rows(require(params, ffn + "w1"), m));
            out.put(ffn + "w3", rows(require(params, ffn + "w3"), m));
            out.put(ffn + "w2", require(params, ffn + "w2").get(NDArrayIndex.all(), NDArrayIndex.interval(0, m)).dup('c'));
            perLayer.add(m);
            uniform &= m == widths[0];
        }
        int max = perLayer.stream().mapToInt(Integer::intValue).max().orElseThrow();
        ModelVariant variant = config.variant().withMatFormer(MatFormerOptions.OFF)
                .withFfnHiddenPerLayer(uniform ? List.of() : perLayer);
        ModelConfig sub = new ModelConfig(config.flavor(), config.vocabSize(), config.dModel(), config.layers(),
                config.heads(), uniform ? widths[0] : max, config.maxSeq(), config.ropeBase(), config.normEps(),
                config.initStd(), config.mixers(), config.ffn(), variant);
        return new SubModel(sub, out);
    }

    private static INDArray rows(INDArray m, int n) {
        return m.get(NDArrayIndex.interval(0, n), NDArrayIndex.all()).dup('c');
    }

    static INDArray require(Map<String, INDArray> params, String name) {
        INDArray v = params.get(name);
        if (v == null) {
            throw new IllegalArgumentException("the parameters have no tensor " + name + "; they do not come from this model config");
        }
        return v;
    }
}
