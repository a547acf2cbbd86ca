package io.spindle.parallel.checkpoint;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a rank saves and restores: model parameters and optimizer state by logical name, plus
 * small string-valued state (data position, seeds) and the run's resolved config.
 */
public record CheckpointContent(long step, String config, int dataParallel, int tensorParallel,
                                Map<String, String> state, Map<String, INDArray> model,
                                Map<String, INDArray> optimizer) {
    public static final String MODEL_GROUP = "model";
    public static final String OPTIMIZER_GROUP = "optimizer";

    public CheckpointContent {
        state = Map.copyOf(state);
        model = new LinkedHashMap<>(model);
        optimizer = new LinkedHashMap<>(optimizer);
    }
}
