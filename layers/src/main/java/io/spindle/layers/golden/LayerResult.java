package io.spindle.layers.golden;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Map;

/**
 * What Spindle computed for a {@link LayerCase}: every forward output, and the gradient of
 * {@code sum(output * R)} with respect to every input and parameter, keyed by the case's names
 * and in the case's shapes.
 */
public record LayerResult(Map<String, INDArray> outputs, Map<String, INDArray> grads) {
    public LayerResult {
        outputs = Map.copyOf(outputs);
        grads = Map.copyOf(grads);
    }
}
