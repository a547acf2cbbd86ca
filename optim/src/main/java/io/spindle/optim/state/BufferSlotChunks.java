package io.spindle.optim.state;

import io.spindle.optim.ContiguousFloats;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * {@link SlotChunks} over dense float32 tensors: each chunk is copied into heap arrays and back.
 * The copy is what makes the update loop fast, not overhead: element-wise get/put on a direct
 * FloatBuffer keeps the JIT from vectorizing the loop (measured 2-3x slower for AdamW).
 */
public final class BufferSlotChunks implements SlotChunks {
    /** Elements per chunk: the update's four or five arrays stay within L1/L2. */
    private static final int CHUNK = 2048;

    private final FloatBuffer[] buffers;
    private final int[] starts;
    private final float[][] arrays;

    /**
     * Chunks of the {@code slots} shaped like slot 0 (dense row-major float32); others (per-row
     * statistics) are left out and have no {@link #slot}.
     */
    public BufferSlotChunks(INDArray[] slots) {
        buffers = new FloatBuffer[slots.length];
        starts = new int[slots.length];
        arrays = new float[slots.length][];
        int length = ContiguousFloats.length(slots[0]);
        for (int s = 0; s < slots.length; s++) {
            if (!Arrays.equals(slots[s].shape(), slots[0].shape())) continue;
            buffers[s] = ContiguousFloats.buffer(slots[s], "optimizer state slot " + s);
            starts[s] = ContiguousFloats.start(slots[s]);
        }
        int chunk = Math.max(1, Math.min(CHUNK, length));
        for (int s = 0; s < slots.length; s++) {
            if (buffers[s] != null) arrays[s] = new float[chunk];
        }
    }

    /** A cursor over the same buffers with arrays of its own (absolute get/put on disjoint ranges are safe across threads). */
    private BufferSlotChunks(BufferSlotChunks other) {
        buffers = other.buffers;
        starts = other.starts;
        arrays = new float[other.arrays.length][];
        for (int s = 0; s < arrays.length; s++) {
            if (other.arrays[s] != null) arrays[s] = new float[other.arrays[s].length];
        }
    }

    @Override
    public SlotChunks another() {
        return new BufferSlotChunks(this);
    }

    @Override
    public int chunkLength() {
        return CHUNK;
    }

    @Override
    public float[] slot(int s) {
        return arrays[s];
    }

    @Override
    public void read(int start, int length) {
        for (int s = 0; s < buffers.length; s++) {
            if (buffers[s] != null) buffers[s].get(starts[s] + start, arrays[s], 0, length);
        }
    }

    @Override
    public void write(int start, int length) {
        for (int s = 0; s < buffers.length; s++) {
            if (buffers[s] != null) buffers[s].put(starts[s] + start, arrays[s], 0, length);
        }
    }
}
