package io.spindle.layers.model;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Map;

/**
 * A model derived from a trained one (a MatFormer granularity, a CoLM chain prefix, a grown CoLM,
 * a MASA conversion): its config and its parameters by name, ready to load into
 * {@code new TransformerLM(config, seed)} or to write as a checkpoint.
 */
public record SubModel(ModelConfig config, Map<String, INDArray> params) {
    public SubModel {
        params = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(params));
    }

    /** A model built from this config holding these parameters. */
    public TransformerLM build(long seed) {
        TransformerLM model = new TransformerLM(config, seed);
        for (io.spindle.layers.core.Parameter p : model.parameters().parameters()) {
            INDArray v = params.get(p.name());
            if (v == null) throw new IllegalStateException("sub-model has no parameter " + p.name());
            p.value().assign(v);
        }
        if (params.size() != model.parameters().parameters().size()) {
            throw new IllegalStateException("sub-model has " + params.size() + " parameters, its config builds "
                    + model.parameters().parameters().size());
        }
        return model;
    }
}
