package io.spindle.layers.model;

import io.spindle.layers.masa.AttentionDictionaries;
import io.spindle.layers.masa.MasaOptions;
import io.spindle.layers.masa.MatrixDictionary;
import io.spindle.layers.masa.MatrixPca;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Converts a trained baseline model into a MASA model: for each projection type (Q, K, V, O) the
 * layers' matrices {@code blocks.<l>.attn.w<t>} become one dictionary ({@link MatrixPca}: the mean
 * matrix plus the top principal directions over layers), stored as {@code masa.<t>.atom<s>} and
 * {@code masa.<t>.coefficients}; every other parameter is copied. With as many atoms as layers the
 * converted model computes what the baseline did (up to float32 rounding).
 */
public final class MasaConversion {
    private MasaConversion() {}

    public static SubModel fromBaseline(ModelConfig config, Map<String, INDArray> params, int atoms) {
        if (config.variant().masa().enabled() || config.variant().colm().enabled()) {
            throw new IllegalArgumentException("MASA conversion needs a model with dense per-layer attention; model."
                    + config.flavor() + " already has " + (config.variant().masa().enabled() ? "MASA" : "CoLM chain") + " attention");
        }
        ModelConfig converted = config.withVariant(config.variant().withMasa(new MasaOptions(atoms)));
        Map<String, INDArray> attention = new LinkedHashMap<>();
        Map<String, INDArray> out = new LinkedHashMap<>();
        for (Map.Entry<String, INDArray> e : params.entrySet()) {
            if (e.getKey().matches("blocks\\.\\d+\\.attn\\.w[qkvo]")) attention.put(e.getKey(), e.getValue());
        }
        out.put("embed.weight", MatFormerExtraction.require(params, "embed.weight"));
        for (char t : AttentionDictionaries.TYPES) {
            List<INDArray> layers = new ArrayList<>();
            for (int l = 0; l < config.layers(); l++) layers.add(MatFormerExtraction.require(params, "blocks." + l + ".attn.w" + t));
            MatrixPca.Dictionary d = MatrixPca.fit(layers, atoms);
            String name = "masa." + t;
            for (int s = 0; s < atoms; s++) {
                out.put(MatrixDictionary.atomName(name, s), d.atoms().get(NDArrayIndex.point(s)).dup('c'));
            }
            out.put(MatrixDictionary.coefficientsName(name), d.coefficients());
        }
        for (Map.Entry<String, INDArray> e : params.entrySet()) {
            if (!attention.containsKey(e.getKey()) && !out.containsKey(e.getKey())) out.put(e.getKey(), e.getValue());
        }
        return new SubModel(converted, out);
    }
}
