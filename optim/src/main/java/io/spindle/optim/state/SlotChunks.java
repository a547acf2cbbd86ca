package io.spindle.optim.state;

/**
 * One parameter's slots (those shaped like the parameter) streamed through small float32 arrays,
 * a chunk of consecutive elements at a time, so that an optimizer's update loop reads and writes
 * its state where it lives: a dense store copies between its tensors and the arrays, a compressed
 * store decodes into them and encodes back (COAT's codec fused into the update loop). Either way
 * only one chunk of full-precision state exists and it stays in the L1/L2 cache.
 *
 * <p>Use: for {@code start = 0, chunkLength(), 2 chunkLength() ...}: {@link #read}, update
 * {@link #slot} arrays in place, {@link #write} (or skip the write to leave the chunk unchanged).
 * Chunks must be visited at multiples of {@link #chunkLength()}: a compressed store's chunks are
 * whole groups. One cursor serves one thread; {@link #another()} makes one for the next.
 */
public interface SlotChunks {
    /** Elements per chunk; the last chunk may be shorter. */
    int chunkLength();

    /** The current chunk of slot {@code s} (elements 0 .. length-1 of the last {@link #read}). */
    float[] slot(int s);

    /** Loads elements [start, start + length) of every parameter-shaped slot into {@link #slot}. */
    void read(int start, int length);

    /** Stores the current chunk, after the caller updated it, back into the state. */
    void write(int start, int length);

    /**
     * Another cursor over the same parameter's slots, with chunk arrays of its own, for another
     * thread: cursors may run at the same time as long as they visit different chunks
     * ({@link ChunkedUpdate}).
     */
    SlotChunks another();
}
