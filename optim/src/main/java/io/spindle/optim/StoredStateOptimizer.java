package io.spindle.optim;

import io.spindle.optim.state.StateStore;
import io.spindle.optim.state.TensorSource;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Map;

/**
 * An optimizer whose whole state is one {@link StateStore}: its step count, checkpoints (as a map
 * or streamed), sizes, prefetching and closing are the store's, here once; subclasses implement
 * only the update ({@link #step}) on {@link #state}.
 */
public abstract class StoredStateOptimizer implements Optimizer {
    /** Where the optimizer keeps its moments or momentum: dense, COAT or offloaded ({@link io.spindle.optim.state.StateFormat}). */
    protected final StateStore state;

    protected StoredStateOptimizer(StateStore state) {
        this.state = state;
    }

    @Override
    public final long stepCount() {
        return state.step();
    }

    @Override
    public final Map<String, INDArray> state() {
        return state.snapshot();
    }

    @Override
    public final void loadState(Map<String, INDArray> tensors) {
        state.load(tensors);
    }

    @Override
    public final TensorSource stateSource() {
        return state.snapshotSource();
    }

    @Override
    public final void loadState(TensorSource tensors) {
        state.load(tensors);
    }

    @Override
    public final Map<String, INDArray> stateValues() {
        return state.values();
    }

    @Override
    public final long stateBytes() {
        return state.bytes();
    }

    @Override
    public final void prefetch() {
        state.prefetch();
    }

    @Override
    public final void close() {
        state.close();
    }
}
