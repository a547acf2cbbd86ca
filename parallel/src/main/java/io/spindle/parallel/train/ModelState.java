package io.spindle.parallel.train;

import io.spindle.layers.core.Parameter;
import io.spindle.layers.core.ParameterSet;
import io.spindle.optim.state.TensorSource;
import io.spindle.optim.state.TensorSpec;
import io.spindle.parallel.tp.LogicalTensors;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * Copies checkpointed tensors into a model's parameters, by name and logical shape. A model that
 * holds slices (a tensor-parallel rank) takes its slice of each logical tensor, so a checkpoint
 * loads whatever the TP size that wrote it and the one that reads it.
 */
public final class ModelState {
    private ModelState() {}

    /**
     * Loads every parameter of {@code parameters} from {@code tensors}. A missing name, an extra
     * name or a shape mismatch means the checkpoint comes from another model config; the message
     * says which parameter differs.
     */
    public static void load(ParameterSet parameters, Map<String, INDArray> tensors) {
        load(parameters, TensorSource.of(tensors));
    }

    /**
     * As above, one tensor at a time as {@code tensors} produces them (a checkpoint's shard file),
     * so loading never holds a second copy of the model. Names and shapes are checked first, before
     * any parameter changes.
     */
    public static void load(ParameterSet parameters, TensorSource tensors) {
        Map<String, TensorSpec> specs = new LinkedHashMap<>();
        for (TensorSpec t : tensors.specs()) specs.put(t.name(), t);
        TreeSet<String> unused = new TreeSet<>(specs.keySet());
        for (Parameter p : parameters.parameters()) {
            TensorSpec saved = specs.get(p.name());
            if (saved == null) {
                throw new IncompatibleCheckpointException("the checkpoint has no tensor " + p.name()
                        + ": it was written for a different model config");
            }
            if (!Arrays.equals(saved.shape(), p.logicalShape())) {
                throw new IncompatibleCheckpointException("parameter " + p.name() + " has shape "
                        + Arrays.toString(p.logicalShape()) + " in this model but " + Arrays.toString(saved.shape())
                        + " in the checkpoint: it was written for a different model config");
            }
            unused.remove(p.name());
        }
        if (!unused.isEmpty()) {
            throw new IncompatibleCheckpointException("the checkpoint has tensors this model does not: " + unused
                    + "; it was written for a different model config");
        }
        try {
            tensors.produce((spec, saved) -> {
                Parameter p = parameters.get(spec.name());
                p.value().assign(p.slice().isWhole() ? saved : LogicalTensors.slice(saved, p.slice()));
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the model's tensors from the checkpoint: " + e.getMessage(), e);
        }
    }

    /** A checkpoint that is intact but does not fit the model being built. */
    public static final class IncompatibleCheckpointException extends IllegalArgumentException {
        public IncompatibleCheckpointException(String message) {
            super(message);
        }
    }
}
