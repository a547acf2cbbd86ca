package io.spindle.optim.offload;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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

    /** The checkpoint form (the in-memory store's snapshot) of the state in {@code file}. */
    Map<String, INDArray> snapshot(Collection<StateRecord> records, OffloadFile file, long step) throws IOException;

    /** The state's values as float32 tensors named {@code <param>/<slot>}, from a {@link #snapshot}. */
    Map<String, INDArray> values(Map<String, INDArray> snapshot);

    /**
     * A checkpoint's state, checked (names, types, shapes): each parameter's shape in the
     * checkpoint's order, and the tensors in this format's current layout ({@link #write} reads those).
     */
    record Parsed(LinkedHashMap<String, long[]> shapes, Map<String, INDArray> tensors) {}

    /** Checks a checkpoint's tensors and converts an earlier layout of this format to the current one. */
    Parsed parse(Map<String, INDArray> tensors);

    /** Writes one parameter's checkpointed slots into its record in {@code file}. */
    void write(StateRecord r, Map<String, INDArray> tensors, OffloadFile file) throws IOException;

    /** Float32 scratch and other memory the format holds outside the window, in bytes. */
    long scratchBytes();
}
