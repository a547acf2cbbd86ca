package io.spindle.optim.offload;

import java.util.ArrayList;
import java.util.List;

/**
 * How one step walks a parameter list: consecutive parameters grouped into chunks of whole tensors,
 * each chunk's records fitting one window frame. Whole tensors, not fixed-size slices, because LAMB
 * (trust ratio from whole-tensor norms) and the Muon family (Newton–Schulz on the whole matrix)
 * need a tensor's entire state at once. A chunk is read and written as a few extents: one when its
 * records are adjacent in the file, as they are when the parameters come in the order the state
 * was laid out.
 */
final class ChunkPlan {
    /** Parameters {@code [first, end)} of the step's list and where their records are. */
    record Chunk(int first, int end, List<OffloadFile.Extent> extents, int[] frameOffsets) {
        /** Offset in floats of parameter {@code i}'s record within the frame. */
        int frameOffset(int i) {
            return frameOffsets[i - first];
        }
    }

    private final List<Chunk> chunks = new ArrayList<>();
    private final int[] chunkOf;

    /**
     * @param records     the step's parameters' records, in the step's order
     * @param frameFloats what one frame holds
     * @param budget      the configured budget, for the error message
     */
    ChunkPlan(List<StateRecord> records, int frameFloats, long budget) {
        chunkOf = new int[records.size()];
        int first = 0;
        while (first < records.size()) {
            int end = first;
            int used = 0;
            while (end < records.size() && used + records.get(end).floats() <= frameFloats) {
                used += records.get(end).floats();
                end++;
            }
            if (end == first) throw tooLarge(records.get(first), frameFloats, budget);
            chunks.add(chunk(records, first, end));
            for (int i = first; i < end; i++) chunkOf[i] = chunks.size() - 1;
            first = end;
        }
    }

    private static Chunk chunk(List<StateRecord> records, int first, int end) {
        List<OffloadFile.Extent> extents = new ArrayList<>();
        int[] offsets = new int[end - first];
        int at = 0;
        long fileAt = -1;
        int startFrame = 0;
        long startFile = 0;
        for (int i = first; i < end; i++) {
            StateRecord r = records.get(i);
            if (r.fileOffset() != fileAt) {
                if (fileAt >= 0) extents.add(extent(startFile, startFrame, at));
                startFile = r.fileOffset();
                startFrame = at;
            }
            offsets[i - first] = at;
            at += r.floats();
            fileAt = r.fileOffset() + r.bytes();
        }
        extents.add(extent(startFile, startFrame, at));
        return new Chunk(first, end, List.copyOf(extents), offsets);
    }

    private static OffloadFile.Extent extent(long file, int frameFloat, int endFloat) {
        return new OffloadFile.Extent(file, frameFloat * Float.BYTES, (endFloat - frameFloat) * Float.BYTES);
    }

    private static IllegalArgumentException tooLarge(StateRecord r, int frameFloats, long budget) {
        long needed = OffloadWindow.budgetFor(r.bytes());
        return new IllegalArgumentException("parameter " + r.name() + " needs " + r.bytes() + " bytes of offloaded"
                + " state (master weights and optimizer state), more than one window frame of " + (long) frameFloats
                * Float.BYTES + " bytes: optim.offload.memoryBudget=" + budget + " is split into "
                + OffloadWindow.FRAMES + " frames (less a small reserve) and a tensor is never split. Raise optim.offload.memoryBudget to at"
                + " least " + needed + " (" + ((needed + (1 << 20) - 1) >> 20) + "m)");
    }

    int chunks() {
        return chunks.size();
    }

    Chunk chunk(int c) {
        return chunks.get(c);
    }

    /** The chunk of parameter {@code i}. */
    int chunkOf(int i) {
        return chunkOf[i];
    }
}
