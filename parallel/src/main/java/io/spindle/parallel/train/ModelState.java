package io.spindle.parallel.train;

import io.spindle.layers.core.Parameter;
import io.spindle.layers.core.ParameterSet;
import io.spindle.parallel.tp.LogicalTensors;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Arrays;
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
        TreeSet<String> unused = new TreeSet<>(tensors.keySet());
        for (Parameter p : parameters.parameters()) {
            INDArray saved = tensors.get(p.name());
            if (saved == null) {
                throw new IncompatibleCheckpointException("the checkpoint has no tensor " + p.name()
                        + ": it was written for a different model config");
            }
            if (!Arrays.equals(saved.shape(), p.logicalShape())) {
                throw new IncompatibleCheckpointException("parameter " + p.name() + " has shape "
                        + Arrays.toString(p.logicalShape()) + " in this model but " + Arrays.toString(saved.shape())
                        + " in the checkpoint: it was written for a different model config");
            }
            p.value().assign(p.slice().isWhole() ? saved : LogicalTensors.slice(saved, p.slice()));
            unused.remove(p.name());
        }
        if (!unused.isEmpty()) {
            throw new IncompatibleCheckpointException("the checkpoint has tensors this model does not: " + unused
                    + "; it was written for a different model config");
        }
    }

    /** A checkpoint that is intact but does not fit the model being built. */
    public static final class IncompatibleCheckpointException extends IllegalArgumentException {
        public IncompatibleCheckpointException(String message) {
            super(message);
        }
    }
}
