package io.spindle.layers.mla;

import io.spindle.layers.core.Buffers;
import io.spindle.layers.ssm.RecurrentMixer;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;

/**
 * The KV cache of one MLA layer while decoding: per sequence and position, the normalized latent
 * restricted to the TPLA shards this holder owns ({@code count} of {@code shape.shards()}, from
 * {@code firstShard}), and the shared RoPE key. MLA on one device holds every column; a TPLA rank
 * holds 1/T of them, which is the memory TPLA saves.
 */
public final class LatentCache implements RecurrentMixer.State {
    final LatentShape shape;
    final int firstShard;
    final int count;
    final int lo;
    final int width;
    final int capacity;
    final LatentReduction reduction;
    final float[] latent;
    final float[] ropeKey;
    private final int batch;
    private int length;

    LatentCache(int batch, int capacity, LatentShape shape, int firstShard, int count, LatentReduction reduction) {
        if (batch <= 0) throw new IllegalArgumentException("batch=" + batch + " must be positive");
        if (firstShard < 0 || count <= 0 || firstShard + count > shape.shards()) {
            throw new IllegalArgumentException("TPLA shards [" + firstShard + ", " + (firstShard + count) + ") are outside [0, "
                    + shape.shards() + ")");
        }
        this.batch = batch;
        this.capacity = capacity;
        this.shape = shape;
        this.firstShard = firstShard;
        this.count = count;
        this.lo = firstShard * shape.shardWidth();
        this.width = count * shape.shardWidth();
        this.reduction = reduction;
        this.latent = new float[batch * capacity * width];
        this.ropeKey = new float[batch * capacity * shape.ropeDim()];
    }

    @Override
    public int batch() { return batch; }

    /** Positions cached so far. */
    public int length() { return length; }

    /** Floats this holder caches per position and sequence: its latent columns plus the RoPE key. */
    public int floatsPerPosition() { return width + shape.ropeDim(); }

    /** Positions per sequence this cache has room for (model.maxSeq): its arrays are allocated for all of them up front. */
    public int capacity() { return capacity; }

    /**
     * Bytes of the arrays this cache allocated: latent columns and RoPE keys for every sequence and
     * {@link #capacity} positions, float32. What a rank's KV cache costs in memory, however much
     * of it is filled yet.
     */
    public long allocatedBytes() { return ((long) latent.length + ropeKey.length) * Float.BYTES; }

    /** Adds one position per sequence: latent [batch*width], RoPE key [batch*dr]. */
    void appendStep(float[] latentRows, float[] ropeRows) {
        requireRoom(1);
        int dr = shape.ropeDim();
        for (int b = 0; b < batch; b++) {
            System.arraycopy(latentRows, b * width, latent, (b * capacity + length) * width, width);
            System.arraycopy(ropeRows, b * dr, ropeKey, (b * capacity + length) * dr, dr);
        }
        length++;
    }

    /** Adds {@code seq} positions per sequence from a full forward: latent [batch*seq, r] (its own columns are kept), RoPE key [batch*seq, dr]. */
    void append(INDArray fullLatent, INDArray ropeRows, int batch, int seq) {
        if (batch != this.batch) throw new IllegalArgumentException("prefill of " + batch + " sequences into a cache of " + this.batch);
        requireRoom(seq);
        int r = shape.latent();
        int dr = shape.ropeDim();
        FloatBuffer c = Buffers.floats(fullLatent);
        FloatBuffer k = dr > 0 ? Buffers.floats(ropeRows) : null;
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < seq; t++) {
                int row = b * seq + t;
                c.get((int) fullLatent.offset() + row * r + lo, latent, (b * capacity + length + t) * width, width);
                if (k != null) k.get((int) ropeRows.offset() + row * dr, ropeKey, (b * capacity + length + t) * dr, dr);
            }
        }
        length += seq;
    }

    void requireRoom(int positions) {
        if (length + positions > capacity) {
            throw new IllegalStateException("KV-latent cache holds " + capacity + " positions (model.maxSeq); " + length
                    + " are used and " + positions + " more were fed; start a new generation from the last window");
        }
    }
}
