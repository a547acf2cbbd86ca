package io.spindle.optim.golden;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What Spindle computed for an {@link OptimizerCase}, shaped like the file's {@code expected}.
 *
 * @param paramsAfterEachStep element t holds every parameter after step t + 1
 * @param stateAfterLastStep  per parameter, its state tensors by slot name (AdamW: {@code m}, {@code v})
 */
public record OptimizerResult(List<Map<String, INDArray>> paramsAfterEachStep,
                              Map<String, Map<String, INDArray>> stateAfterLastStep) {
    public OptimizerResult {
        paramsAfterEachStep = List.copyOf(paramsAfterEachStep);
        stateAfterLastStep = Collections.unmodifiableMap(new LinkedHashMap<>(stateAfterLastStep));
    }
}
