package io.spindle.optim.offload;

import io.spindle.optim.state.TensorSource;
import io.spindle.optim.state.TensorSpec;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * How an {@link OffloadStateStore} keeps each slot in its records, and how a slot becomes the
 * float32 tensor the optimizer updates: dense float32 ({@link DenseOffloadFormat}: views straight
 * into the window) or COAT FP8 ({@link CoatOffloadFormat}: dequantized into scratch and quantized
 * back, so a quarter of the bytes go to and from disk). Also reads and writes the checkpoint form
 * of the state, which is the in-memory store's of the same format.
 */
interface OffloadFormat {
    /** Bytes of slot {@code s}'s section for a slot of shape {@code slotShape}; a multiple of 4. */
    long sectionBytes(int s, long[] slotShape);

    /** Writes the zero state of a fresh record into a zero-filled file (where zero bytes are not it). */
    void initialize(StateRecord r, OffloadFile file) throws IOException;

    /** Called before a step over {@code records} (e.g. to size scratch for the largest). */
    void prepare(List<StateRecord> records);

    /** The float32 slots of record {@code r}, which starts at byte {@code at} of {@code frame}. */
    INDArray[] expand(OffloadWindow.Frame frame, long at, StateRecord r);

    /** Stores the slots {@link #expand} returned, after the update, back into the record. */
    void compress(OffloadWindow.Frame frame, long at, StateRecord r);

    /** The checkpoint form's tensors that belong to no parameter, after the step (COAT: its group size). */
    Map<String, INDArray> header();

    /** Names, types and shapes of record {@code r}'s tensors in the checkpoint form, in {@link #produce} order. */
    List<TensorSpec> specs(StateRecord r);

    /**
     * Hands record {@code r}'s checkpoint tensors that {@code wanted} accepts to {@code sink}, one at
     * a time, from {@code frame}, which holds the record from its first byte: views of the frame where
     * the checkpoint form is what the record stores, small copies (freed after) where it is not.
     */
    void produce(StateRecord r, OffloadWindow.Frame frame, Predicate<String> wanted, TensorSource.Sink sink)
            throws IOException;

    /** The state's values as float32 tensors named {@code <param>/<slot>}, from a snapshot. */
    Map<String, INDArray> values(Map<String, INDArray> snapshot);

    /**
     * Each parameter's shape, in the checkpoint's order, from the checkpoint's specs alone (no
     * value read yet): checks names, and types and shapes as far as the specs tell.
     */
    LinkedHashMap<String, long[]> shapes(List<TensorSpec> specs);

    /**
     * Reads a checkpoint's tensors (all but the step) from {@code tensors} and writes each
     * parameter's into its record in {@code file}, holding at most one parameter's at a time
     * (when the checkpoint keeps a parameter's tensors together, as snapshots do); checks the values
     * and converts an earlier layout of this format to the current one.
     */
    void load(TensorSource tensors, Map<String, StateRecord> records, OffloadFile file) throws IOException;

    /** Float32 scratch and other memory the format holds outside the window, in bytes. */
    long scratchBytes();
}
