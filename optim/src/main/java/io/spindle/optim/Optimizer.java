package io.spindle.optim;

import io.spindle.optim.state.TensorSource;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;
import java.util.Map;

/**
 * Updates parameters in place from their gradients. An optimizer keeps its own state (moments,
 * momentum buffers) per parameter name and its step count t, which starts at 1 with the first
 * {@link #step}.
 *
 * <p>Every call to {@link #step} must pass the same parameters (names and shapes); the optimizer
 * allocates its state on the first call and refuses a list that no longer matches it.
 *
 * <p>Whoever creates an optimizer closes it: an optimizer whose state is offloaded to SSD owns
 * files and an off-heap window until then.
 */
public interface Optimizer extends AutoCloseable {

    /** Takes step t = {@link #stepCount()} + 1 over {@code params} with learning rate {@code lr}. */
    void step(List<ParamSlot> params, double lr);

    /**
     * As {@link #step(List, double)}, at training step {@code runStep} (from 1), where the run's
     * schedule gave {@code lr}. A parameter group with a schedule of its own
     * ({@link io.spindle.optim.routing.GroupLearningRate}) reads its rate at {@code runStep}, which
     * stays in step with the run's schedule when the trainer skips a non-finite step (the optimizer's
     * own t then lags behind); an optimizer with one learning rate takes {@code lr} as it is.
     */
    default void step(List<ParamSlot> params, double lr, long runStep) {
        step(params, lr);
    }

    /** Steps taken so far, including those restored by {@link #loadState}. */
    long stepCount();

    /**
     * A copy of the state for a checkpoint: {@code step} (a 0-d int64 array) and one float32
     * tensor per parameter and slot, named {@code <param>/<slot>} (AdamW: {@code w/m}, {@code w/v}).
     */
    Map<String, INDArray> state();

    /**
     * Replaces the state with {@code state} as written by {@link #state()}, so the steps that follow
     * are bit-identical to those of the optimizer that wrote it. Rejects a missing, unexpected or
     * misshapen tensor with a message that names it; the tensors are copied, not kept.
     */
    void loadState(Map<String, INDArray> state);

    /**
     * {@link #state()}'s tensors, each read only when the consumer asks for it, so that a checkpoint
     * of state kept outside memory (SSD offload) holds about one tensor of it at a time. Valid until
     * the next {@link #step} or {@link #loadState}. By default {@link #state()}, in memory.
     */
    default TensorSource stateSource() {
        return TensorSource.of(state());
    }

    /**
     * As {@link #loadState(Map)}, taking the tensors one at a time from {@code state} (e.g. a
     * checkpoint's shard file), with the same checks; by default they are gathered into a map.
     */
    default void loadState(TensorSource state) {
        if (state == null) throw new IllegalArgumentException("optimizer state is null");
        loadState(state.toMap());
    }

    /**
     * The state's values as float32 tensors named like {@link #state()}'s dense form
     * ({@code <param>/<slot>}): what the optimizer computes with, decompressed where the state is
     * stored compressed (COAT). Used to compare with reference values, not for checkpoints.
     */
    Map<String, INDArray> stateValues();

    /** Bytes the optimizer state occupies in memory (state bytes per parameter = this / parameters). */
    long stateBytes();

    /**
     * Starts reading state that lives outside memory (SSD offload) for the next {@link #step}, so
     * the read overlaps the forward and backward pass; a no-op for in-memory state.
     */
    default void prefetch() {
    }

    /** Releases the state's files and off-heap window (SSD offload); a no-op for in-memory state. */
    @Override
    default void close() {
    }
}
