package io.spindle.layers.golden;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Map;

/**
 * One golden-vector layer case (schema in {@code shared/golden/README.md}): the layer's name and
 * exact rule, its scalar config, the leaf tensors and one upstream tensor R per output.
 * Activations are [batch, seq, features].
 */
public record LayerCase(String layer, String variant, Map<String, Object> config, Map<String, INDArray> inputs,
                        Map<String, INDArray> params, Map<String, INDArray> upstream) {
    public LayerCase {
        config = Map.copyOf(config);
        inputs = Map.copyOf(inputs);
        params = Map.copyOf(params);
        upstream = Map.copyOf(upstream);
    }
}
