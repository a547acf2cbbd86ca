package io.spindle.layers.attention;

import io.spindle.layers.core.Blas;
import io.spindle.layers.core.Buffers;
import io.spindle.layers.core.Parallel;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;

/**
 * The attention of multi-head latent attention in its absorbed form (DeepSeek-V2 §2.1.2): every
 * head attends with its absorbed query {@code q~_h = q_h W_uk,h} (width r) over one latent
 * {@code c} (width r) shared by all heads, which is both key and value:
 * {@code ctx_h = softmax(scale (q~_h c^T + qR_h kR^T) + mask) c}. The decoupled RoPE parts
 * {@code qR} (per head) and {@code kR} (shared) add their scores when {@code ropeDim > 0}.
 *
 * <p>With {@code shards = T > 1} this is TPLA's attention (Tang et al. 2025): the latent columns
 * are cut into T contiguous slices and each slice attends on its own, with its own softmax over
 * its partial scores {@code q~_h[t] c[t]^T} (plus the whole RoPE score, whose key is small and
 * replicated on every rank); {@code ctx_h[t]} is slice t's weighted sum of {@code c[t]}. T = 1 is MLA.
 *
 * <p>Layout: qLat [batch*seq, heads*r], so one sequence's queries of all heads are the
 * contiguous [seq*heads, r] matrix whose row i*heads+h is head h at position i; every head shares
 * the key at a position, so one gemm per block of positions scores all heads at once.
 */
public final class LatentAttentionCore {
    private final int heads;
    private final int latent;
    private final int shards;
    private final int shardWidth;
    private final int ropeDim;
    private final float scale;
    private int batch;
    private int seq;
    private int block;
    private INDArray qLat;
    private INDArray c;
    private INDArray qRope;
    private INDArray kRope;
    private INDArray probs;
    private INDArray ctx;
    private INDArray dqLat;
    private INDArray dc;
    private INDArray dqRope;
    private INDArray dkRope;
    private INDArray dScores;

    /** Scores are scaled by {@code scale}; {@code shards} must divide {@code latent}. */
    public LatentAttentionCore(int heads, int latent, int shards, int ropeDim, double scale) {
        if (heads <= 0 || latent <= 0 || ropeDim < 0) {
            throw new IllegalArgumentException("latent attention needs heads > 0, latent > 0, ropeDim >= 0; got heads="
                    + heads + ", latent=" + latent + ", ropeDim=" + ropeDim);
        }
        if (shards <= 0 || latent % shards != 0) {
            throw new IllegalArgumentException("TPLA shards=" + shards + " must divide the latent width " + latent);
        }
        this.heads = heads;
        this.latent = latent;
        this.shards = shards;
        this.shardWidth = latent / shards;
        this.ropeDim = ropeDim;
        this.scale = (float) scale;
    }

    /**
     * qLat [batch*seq, heads*r], c [batch*seq, r], and with RoPE qRope [batch*seq, heads*ropeDim]
     * and kRope [batch*seq, ropeDim] (already rotated; null without RoPE). All must stay unchanged
     * until {@link #backward}. Returns ctx [batch*seq, heads*r], owned by this core.
     */
    public INDArray forward(INDArray qLat, INDArray c, INDArray qRope, INDArray kRope, int batch, int seq) {
        long rows = (long) batch * seq;
        requireShape("absorbed query", qLat, rows, (long) heads * latent);
        requireShape("latent", c, rows, latent);
        if (ropeDim > 0) {
            requireShape("RoPE query", qRope, rows, (long) heads * ropeDim);
            requireShape("RoPE key", kRope, rows, ropeDim);
        }
        this.qLat = qLat;
        this.c = c;
        this.qRope = qRope;
        this.kRope = kRope;
        this.batch = batch;
        this.seq = seq;
        this.block = queryBlock(seq, heads, Math.max(shardWidth, ropeDim));
        probs = Buffers.reuse(probs, (long) batch * shards, (long) seq * heads, seq);
        ctx = Buffers.reuse(ctx, rows, (long) heads * latent);
        FloatBuffer p = Buffers.floats(probs);
        Parallel.forRange(batch * shards, 1, (chunk, from, to) -> {
            for (int bs = from; bs < to; bs++) forwardShard(bs / shards, bs % shards, p);
        });
        return ctx;
    }

    private void forwardShard(int b, int shard, FloatBuffer p) {
        int ldq = latent;                       // qLat viewed as [batch*seq*heads, r]
        long q0 = qLat.offset() + (long) b * seq * heads * latent + (long) shard * shardWidth;
        long c0 = c.offset() + (long) b * seq * latent + (long) shard * shardWidth;
        long x0 = ctx.offset() + (long) b * seq * heads * latent + (long) shard * shardWidth;
        long p0 = probs.offset() + (long) (b * shards + shard) * seq * heads * seq;
        for (int i0 = 0; i0 < seq; i0 += block) {
            int m = Math.min(block, seq - i0);
            int keys = i0 + m;
            long qRows = (long) i0 * heads * latent;
            long pRows = p0 + (long) i0 * heads * seq;
            Blas.gemm(false, true, m * heads, keys, shardWidth, scale, qLat, q0 + qRows, ldq,
                    c, c0, latent, 0f, probs, pRows, seq);
            if (ropeDim > 0) {
                Blas.gemm(false, true, m * heads, keys, ropeDim, scale, qRope,
                        qRope.offset() + ((long) b * seq + i0) * heads * ropeDim, ropeDim,
                        kRope, kRope.offset() + (long) b * seq * ropeDim, ropeDim, 1f, probs, pRows, seq);
            }
            CausalSoftmax.forward(p, (int) pRows, seq, i0, m, heads);
            Blas.gemm(false, false, m * heads, shardWidth, keys, 1f, probs, pRows, seq,
                    c, c0, latent, 0f, ctx, x0 + qRows, ldq);
        }
    }

    /**
     * dCtx: [batch*seq, heads*r] for the last forward. Afterwards {@link #dqLat()}, {@link #dc()},
     * and with RoPE {@link #dqRope()} and {@link #dkRope()} hold the gradients of the inputs.
     */
    public void backward(INDArray dCtx) {
        if (probs == null) throw new IllegalStateException("latent attention backward() before forward()");
        long rows = (long) batch * seq;
        requireShape("context gradient", dCtx, rows, (long) heads * latent);
        dqLat = Buffers.reuse(dqLat, rows, (long) heads * latent);
        dc = Buffers.reuse(dc, rows, latent);
        if (ropeDim > 0) {
            dqRope = Buffers.reuse(dqRope, rows, (long) heads * ropeDim);
            dkRope = Buffers.reuse(dkRope, rows, ropeDim);
        }
        dScores = Buffers.reuse(dScores, Parallel.threads(), (long) seq * heads, seq);
        FloatBuffer p = Buffers.floats(probs);
        FloatBuffer ds = Buffers.floats(dScores);
        // one task per sequence: its shards all add into the same RoPE gradients
        Parallel.forRange(batch, 1, (chunk, from, to) -> {
            for (int b = from; b < to; b++) {
                for (int s = 0; s < shards; s++) {
                    backwardShard(b, s, dCtx, p, ds, dScores.offset() + (long) chunk * seq * heads * seq);
                }
            }
        });
    }

    /** Query blocks from last to first: the last block reaches every key, so it writes (beta 0) what earlier blocks add to. */
    private void backwardShard(int b, int shard, INDArray dCtx, FloatBuffer p, FloatBuffer ds, long dsOff) {
        long q0 = (long) b * seq * heads * latent + (long) shard * shardWidth;
        long c0 = (long) b * seq * latent + (long) shard * shardWidth;
        long r0 = (long) b * seq * heads * ropeDim;
        long k0 = (long) b * seq * ropeDim;
        long p0 = probs.offset() + (long) (b * shards + shard) * seq * heads * seq;
        int lastStart = ((seq - 1) / block) * block;
        for (int i0 = lastStart; i0 >= 0; i0 -= block) {
            int m = Math.min(block, seq - i0);
            int keys = i0 + m;
            float beta = keys == seq ? 0f : 1f;
            long qRows = q0 + (long) i0 * heads * latent;
            long pRows = p0 + (long) i0 * heads * seq;
            // dP = dCtx c^T ; dc += P^T dCtx (c is the value)
            Blas.gemm(false, true, m * heads, keys, shardWidth, 1f, dCtx, dCtx.offset() + qRows, latent,
                    c, c.offset() + c0, latent, 0f, dScores, dsOff, seq);
            Blas.gemm(true, false, keys, shardWidth, m * heads, 1f, probs, pRows, seq,
                    dCtx, dCtx.offset() + qRows, latent, beta, dc, dc.offset() + c0, latent);
            CausalSoftmax.backward(p, (int) pRows, ds, (int) dsOff, seq, i0, m, heads);
            // dq~ = scale dS c ; dc += scale dS^T q~ (c is also the key)
            Blas.gemm(false, false, m * heads, shardWidth, keys, scale, dScores, dsOff, seq,
                    c, c.offset() + c0, latent, 0f, dqLat, dqLat.offset() + qRows, latent);
            Blas.gemm(true, false, keys, shardWidth, m * heads, scale, dScores, dsOff, seq,
                    qLat, qLat.offset() + qRows, latent, 1f, dc, dc.offset() + c0, latent);
            if (ropeDim > 0) {
                long rRows = r0 + (long) i0 * heads * ropeDim;
                Blas.gemm(false, false, m * heads, ropeDim, keys, scale, dScores, dsOff, seq,
                        kRope, kRope.offset() + k0, ropeDim, shard == 0 ? 0f : 1f, dqRope, dqRope.offset() + rRows, ropeDim);
                Blas.gemm(true, false, keys, ropeDim, m * heads, scale, dScores, dsOff, seq,
                        qRope, qRope.offset() + rRows, ropeDim, shard == 0 ? beta : 1f, dkRope, dkRope.offset() + k0, ropeDim);
            }
        }
    }

    /**
     * Positions per query block: each block's products are (positions·heads) × keys × width, kept
     * at most 65536·4 multiply-adds, below which OpenBLAS stays on the calling thread (as
     * {@link CausalAttentionCore#queryBlock} explains, its threads would only compete with the
     * per-sequence parallelism here).
     */
    static int queryBlock(int seq, int heads, int width) {
        int fit = (65_536 * 4) / Math.max(1, seq * heads * width);
        return Math.max(1, Math.min(seq, fit));
    }

    public INDArray dqLat() { return dqLat; }

    public INDArray dc() { return dc; }

    public INDArray dqRope() { return dqRope; }

    public INDArray dkRope() { return dkRope; }

    private static void requireShape(String what, INDArray a, long rows, long cols) {
        if (a == null || a.rank() != 2 || a.size(0) != rows || a.size(1) != cols) {
            throw new IllegalArgumentException("latent attention " + what + " has shape "
                    + (a == null ? "null" : java.util.Arrays.toString(a.shape())) + ", expected [" + rows + ", " + cols + "]");
        }
    }
}
