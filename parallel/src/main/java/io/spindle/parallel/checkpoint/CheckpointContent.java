package io.spindle.parallel.checkpoint;

import io.spindle.optim.state.TensorSource;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Map;
import java.util.Objects;

/**
 * What a rank saves and restores: model parameters and optimizer state by logical name, plus
 * small string-valued state (data position, seeds) and the run's resolved config.
 *
 * <p>Both tensor groups are {@link TensorSource}s: names, types and shapes known up front, each
 * tensor produced when the writer (or, on resume, the model and the optimizer) reaches it. So a
 * checkpoint of offloaded optimizer state larger than memory is written from, and read back into,
 * the offload file one tensor at a time. {@link CheckpointCatalog#load} returns sources that read
 * the verified shard files lazily; {@link #model()} and {@link #optimizer()} gather a group in memory.
 */
public record CheckpointContent(long step, String config, int dataParallel, int tensorParallel,
                                Map<String, String> state, TensorSource modelTensors,
                                TensorSource optimizerTensors) {
    public static final String MODEL_GROUP = "model";
    public static final String OPTIMIZER_GROUP = "optimizer";

    public CheckpointContent {
        state = Map.copyOf(state);
        Objects.requireNonNull(modelTensors, "modelTensors");
        Objects.requireNonNull(optimizerTensors, "optimizerTensors");
    }

    /** Content whose tensors are already in memory. */
    public CheckpointContent(long step, String config, int dataParallel, int tensorParallel, Map<String, String> state,
                             Map<String, INDArray> model, Map<String, INDArray> optimizer) {
        this(step, config, dataParallel, tensorParallel, state, TensorSource.of(model), TensorSource.of(optimizer));
    }

    /** The model's tensors, all in memory (read from the shard file on each call when loaded from storage). */
    public Map<String, INDArray> model() {
        return modelTensors.toMap();
    }

    /** The optimizer state, all in memory (read from the shard file on each call when loaded from storage). */
    public Map<String, INDArray> optimizer() {
        return optimizerTensors.toMap();
    }
}
