package io.spindle.data.sampling;

/**
 * Draws training batches from a token stream, deterministically and resumably.
 *
 * <p>The stream is cut into windows of {@code seq + 1} tokens with stride {@code seq}: window
 * {@code w} covers tokens {@code [w*seq, w*seq + seq]}; its first {@code seq} tokens are the inputs
 * and its last {@code seq} the targets, so every token after the first is predicted exactly once
 * per epoch. Each epoch visits all windows in an order that is a permutation drawn from
 * {@code (seed, epoch)} alone.
 *
 * <p>The orders of successive epochs form one global sequence of windows. A step consumes
 * {@code batch * worldSize} consecutive windows of it, and rank {@code r} takes every
 * {@code worldSize}-th one starting at {@code r}: row {@code i} of rank {@code r}'s batch is global
 * window {@code step * batch * worldSize + i * worldSize + r}. Ranks therefore see disjoint windows,
 * and one rank with batch {@code batch * worldSize} sees the same windows in the same global order.
 * A step may run over an epoch's end into the next epoch's order; no window is dropped.
 */
public final class BatchSampler {
    private final int[] tokens;
    private final int seq;
    private final int batch;
    private final long seed;
    private final int rank;
    private final int worldSize;
    private final long windowCount;
    private long cursor;
    private long cachedEpoch = -1;
    private int[] cachedOrder;

    /**
     * @param tokens    the train token stream; not copied, must not change while sampling
     * @param seq       tokens per input row
     * @param batch     rows per batch on this rank
     * @param seed      seed of the window orders; all ranks must pass the same
     * @param rank      this rank's index in the data-parallel group
     * @param worldSize data-parallel group size
     */
    public BatchSampler(int[] tokens, int seq, int batch, long seed, int rank, int worldSize) {
        if (seq < 1 || batch < 1) {
            throw new IllegalArgumentException("seq=" + seq + " and batch=" + batch + " must both be positive");
        }
        if (worldSize < 1 || rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException("rank=" + rank + " is outside 0.." + (worldSize - 1)
                    + " for a data-parallel group of " + worldSize);
        }
        if (tokens.length < seq + 1) {
            throw new IllegalArgumentException(tokens.length + " train tokens are too few for one window of seq+1="
                    + (seq + 1) + " tokens; prepare more data or lower seq");
        }
        this.tokens = tokens;
        this.seq = seq;
        this.batch = batch;
        this.seed = seed;
        this.rank = rank;
        this.worldSize = worldSize;
        this.windowCount = (tokens.length - 1) / seq;
        if (windowCount > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(windowCount + " windows do not fit one epoch order; raise seq");
        }
    }

    /** Windows per epoch, over all ranks. */
    public long windowCount() {
        return windowCount;
    }

    /** Fills {@code inputs} and {@code targets} (each {@code batch * seq} ids, row-major). */
    public void next(int[] inputs, int[] targets) {
        int size = batch * seq;
        if (inputs.length != size || targets.length != size) {
            throw new IllegalArgumentException("inputs and targets must hold batch*seq=" + size + " ids, got "
                    + inputs.length + " and " + targets.length);
        }
        for (int row = 0; row < batch; row++) {
            long global = cursor + (long) row * worldSize + rank;
            int window = order(global / windowCount)[(int) (global % windowCount)];
            int start = window * seq;
            System.arraycopy(tokens, start, inputs, row * seq, seq);
            System.arraycopy(tokens, start + 1, targets, row * seq, seq);
        }
        cursor += (long) batch * worldSize;
    }

    /** Where the next batch starts; identical on every rank. */
    public SamplerPosition position() {
        return new SamplerPosition(cursor / windowCount, cursor % windowCount);
    }

    /** Continues from {@code position}, so the following batches equal those after it was taken. */
    public void seek(SamplerPosition position) {
        if (position.windowIndex() >= windowCount) {
            throw new IllegalArgumentException("sampler position " + position + " is past the " + windowCount
                    + " windows of this token stream; the checkpoint was written for different data or seq");
        }
        if (position.epoch() > (Long.MAX_VALUE - position.windowIndex()) / windowCount) {
            throw new IllegalArgumentException("sampler position " + position + " is beyond any reachable epoch");
        }
        cursor = position.epoch() * windowCount + position.windowIndex();
    }

    /** Epoch {@code epoch}'s window order; rows only ever move forward through epochs, so caching one suffices. */
    private int[] order(long epoch) {
        if (epoch != cachedEpoch) {
            cachedOrder = windowOrder(seed, epoch, (int) windowCount);
            cachedEpoch = epoch;
        }
        return cachedOrder;
    }

    /** A uniformly random permutation of {@code 0..count-1} (Fisher–Yates) from (seed, epoch) alone. */
    static int[] windowOrder(long seed, long epoch, int count) {
        int[] order = new int[count];
        for (int i = 0; i < count; i++) {
            order[i] = i;
        }
        SplitMix64 random = new SplitMix64(SplitMix64.derive(seed, epoch));
        for (int i = count - 1; i > 0; i--) {
            int j = (int) random.nextLong(i + 1L);
            int swap = order[i];
            order[i] = order[j];
            order[j] = swap;
        }
        return order;
    }
}
