package io.spindle.optim.state;

import io.spindle.optim.ParamSlot;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;
import java.util.Map;

/**
 * Where an optimizer keeps its per-parameter state (moments, momentum buffers) and step count:
 * the strategy that lets every optimizer run with full-precision state ({@link DenseStateStore})
 * or compressed state ({@link io.spindle.optim.coat.CoatStateStore}) without knowing which.
 *
 * <p>An optimizer's step opens the store for its parameter list, then for each parameter in turn
 * reads full-precision slots, updates them and the parameter, and commits them. It reads them
 * either whole ({@link Step#slots}: a compressed store decompresses into scratch and compresses
 * back on {@link Step#commit}, so at most one parameter's state is ever held in full precision) or
 * a chunk at a time ({@link Step#chunks}: a compressed store decodes and encodes each chunk inside
 * the optimizer's update loop, so only a chunk is).
 */
public interface StateStore {
    /** Name of the step-count tensor in {@link #snapshot()}, a 0-d int64 array. */
    String STEP = "step";

    /** Steps completed. */
    long step();

    /** Records that one more step has been applied to every parameter. */
    void advance();

    /**
     * Checks {@code params} against the state (allocating zero state before the first step; a
     * different list afterwards is refused, naming the parameter) and opens a step over them.
     * Nothing changes when this throws.
     */
    Step open(List<ParamSlot> params);

    /** One step's access to the state of the parameters passed to {@link #open}, by index. */
    interface Step {
        /**
         * The full-precision slots of parameter {@code i}, indexed like the store's slot names;
         * valid until {@link #commit} of the same {@code i}, and only one parameter at a time.
         */
        INDArray[] slots(int i);

        /**
         * The float32 weights the update of parameter {@code i} ({@code p}) applies to. In-memory
         * stores update the model's parameter itself; an offloading store hands out its master copy
         * and writes it back into {@code p.value()} on {@link #commit}. Same validity as {@link #slots}.
         */
        default INDArray weights(int i, ParamSlot p) {
            return p.value();
        }

        /**
         * Parameter {@code i}'s parameter-shaped slots a chunk at a time, the alternative to
         * {@link #slots} for update loops that run over chunks: a compressed store fuses its codec
         * into them instead of expanding the whole tensor. Use one or the other for a parameter,
         * then {@link #commit}; same validity as {@link #slots}. By default the chunks are copies
         * of {@link #slots}.
         */
        default SlotChunks chunks(int i) {
            return new BufferSlotChunks(slots(i));
        }

        /** Stores parameter {@code i}'s slots back after they were updated. */
        void commit(int i);
    }

    /** A detached copy of the state as stored (compressed stays compressed), named for a checkpoint. */
    Map<String, INDArray> snapshot();

    /** The state as float32 tensors named {@code <param>/<slot>}, decompressed where stored compressed. */
    Map<String, INDArray> values();

    /** Replaces the state with a {@link #snapshot()}, checking every name, type and shape. */
    void load(Map<String, INDArray> tensors);

    /**
     * The {@link #snapshot()}'s tensors, each read when the consumer asks for it: a checkpoint of a
     * state that does not fit in memory (offloaded) holds about one tensor of it at a time. Valid
     * until the next {@link #open} or {@link #load}. By default the snapshot, in memory.
     */
    default TensorSource snapshotSource() {
        return TensorSource.of(snapshot());
    }

    /**
     * As {@link #load(Map)}, taking the tensors one at a time, so a store that keeps its state
     * outside memory never holds the whole of it. Names, types and shapes are checked from {@link
     * TensorSource#specs} before any value is read. By default the tensors are gathered into a map.
     */
    default void load(TensorSource tensors) {
        if (tensors == null) throw new IllegalArgumentException("optimizer state is null");
        load(tensors.toMap());
    }

    /** Bytes the state occupies in memory, for reports: state bytes per parameter = this / parameters. */
    long bytes();

    /**
     * Starts reading the state the next {@link #open} will need first, so that the read overlaps
     * whatever the caller does meanwhile (forward and backward). Only an offloading store has
     * anything to do; calling it more than once before the step is harmless.
     */
    default void prefetch() {
    }

    /** Releases what the store holds outside the Java heap (offload files); the store is unusable after. */
    default void close() {
    }
}
