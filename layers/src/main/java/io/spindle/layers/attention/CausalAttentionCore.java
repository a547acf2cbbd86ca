package io.spindle.layers.attention;

import io.spindle.layers.core.Blas;
import io.spindle.layers.core.Buffers;
import io.spindle.layers.core.Parallel;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;

/**
 * The part of causal multi-head attention between the projections: RoPE on queries and keys, then
 * per head {@code softmax(q_h k_h^T / sqrt(d_h) + mask) v_h}, heads concatenated. Every attention
 * layer whose projections differ (dense, chain-structured, dictionary-shared) runs this core.
 *
 * <p>Q, K and V stay in the row layout [batch*seq, width]; head h of sequence b is the block of
 * rows b*seq.. and columns h*headDim.., which BLAS reads directly through its leading dimension,
 * so no head split/merge copies are needed. Per (batch, head) and block of query rows, the scores
 * are one small gemm over only the keys those queries can see; (batch, head) pairs run in parallel.
 */
public final class CausalAttentionCore {
    private final int width;
    private final int heads;
    private final int headDim;
    private final float scale;
    private final RotaryEmbedding rope;
    private int batch;
    private int seq;
    private int block;
    private INDArray q;
    private INDArray k;
    private INDArray v;
    private INDArray probs;
    private INDArray merged;
    private INDArray dq;
    private INDArray dk;
    private INDArray dv;
    private INDArray dScores;

    /** {@code width = heads * headDim}; RoPE tables cover {@code maxSeq} positions. */
    public CausalAttentionCore(int width, int heads, int maxSeq, double ropeBase) {
        if (heads <= 0 || width % heads != 0) {
            throw new IllegalArgumentException("heads=" + heads + " does not divide the attention width " + width);
        }
        this.width = width;
        this.heads = heads;
        this.headDim = width / heads;
        this.scale = (float) (1.0 / Math.sqrt(headDim));
        this.rope = new RotaryEmbedding(headDim, maxSeq, ropeBase);
    }

    public int headDim() { return headDim; }

    /**
     * q, k, v: [batch*seq, width], c-order and contiguous; q and k are rotated in place and, like
     * v, must stay unchanged until {@link #backward}. Returns the merged heads [batch*seq, width],
     * owned by this core.
     */
    public INDArray forward(INDArray q, INDArray k, INDArray v, int batch, int seq) {
        long rows = (long) batch * seq;
        for (INDArray a : new INDArray[] {q, k, v}) {
            if (a.size(0) != rows || a.size(1) != width) {
                throw new IllegalArgumentException("attention q/k/v has shape " + java.util.Arrays.toString(a.shape())
                        + ", expected [" + rows + ", " + width + "]");
            }
        }
        this.q = q;
        this.k = k;
        this.v = v;
        this.batch = batch;
        this.seq = seq;
        this.block = queryBlock(seq, headDim);
        rope.rotate(Buffers.floats(q), (int) q.offset(), width, (int) rows, seq, heads, false);
        rope.rotate(Buffers.floats(k), (int) k.offset(), width, (int) rows, seq, heads, false);
        probs = Buffers.reuse(probs, (long) batch * heads, seq, seq);
        merged = Buffers.reuse(merged, rows, width);
        FloatBuffer p = Buffers.floats(probs);
        Parallel.forRange(batch * heads, 1, (chunk, from, to) -> {
            for (int bh = from; bh < to; bh++) forwardHead(bh, p);
        });
        return merged;
    }

    /** One (batch, head): softmax(q k^T · scale) v, a block of query rows at a time. */
    private void forwardHead(int bh, FloatBuffer p) {
        long head = (long) (bh / heads) * seq * width + (long) (bh % heads) * headDim;
        int pOff = (int) probs.offset() + bh * seq * seq;
        for (int i0 = 0; i0 < seq; i0 += block) {
            int m = Math.min(block, seq - i0);
            int keys = i0 + m; // causal: this block's queries see keys 0..i0+m-1 only
            long rows = head + (long) i0 * width;
            int pRows = pOff + i0 * seq;
            Blas.gemm(false, true, m, keys, headDim, scale, q, q.offset() + rows, width,
                    k, k.offset() + head, width, 0f, probs, pRows, seq);
            CausalSoftmax.forward(p, pRows, seq, i0, m);
            Blas.gemm(false, false, m, headDim, keys, 1f, probs, pRows, seq,
                    v, v.offset() + head, width, 0f, merged, merged.offset() + rows, width);
        }
    }

    /**
     * dMerged: [batch*seq, width] for the last forward. Afterwards {@link #dq()}, {@link #dk()} and
     * {@link #dv()} hold the gradients of the un-rotated projections.
     */
    public void backward(INDArray dMerged) {
        if (probs == null) throw new IllegalStateException("attention backward() before forward()");
        int rows = batch * seq;
        dq = Buffers.reuse(dq, rows, width);
        dk = Buffers.reuse(dk, rows, width);
        dv = Buffers.reuse(dv, rows, width);
        dScores = Buffers.reuse(dScores, Parallel.threads(), seq, seq);
        FloatBuffer p = Buffers.floats(probs);
        FloatBuffer ds = Buffers.floats(dScores);
        Parallel.forRange(batch * heads, 1, (chunk, from, to) -> {
            for (int bh = from; bh < to; bh++) backwardHead(bh, dMerged, p, ds, (int) dScores.offset() + chunk * seq * seq);
        });
        rope.rotate(Buffers.floats(dq), (int) dq.offset(), width, rows, seq, heads, true);
        rope.rotate(Buffers.floats(dk), (int) dk.offset(), width, rows, seq, heads, true);
    }

    /** d(loss)/dq of the last backward, [batch*seq, width], owned by this core. */
    public INDArray dq() { return dq; }

    public INDArray dk() { return dk; }

    public INDArray dv() { return dv; }

    /**
     * One (batch, head), query blocks from last to first: the last block reaches every key, so it
     * writes all of dk_h and dv_h (beta 0) and earlier blocks add into their key prefix.
     */
    private void backwardHead(int bh, INDArray dMerged, FloatBuffer p, FloatBuffer ds, int dsOff) {
        long head = (long) (bh / heads) * seq * width + (long) (bh % heads) * headDim;
        int pOff = (int) probs.offset() + bh * seq * seq;
        int lastStart = ((seq - 1) / block) * block;
        for (int i0 = lastStart; i0 >= 0; i0 -= block) {
            int m = Math.min(block, seq - i0);
            int keys = i0 + m;
            float beta = keys == seq ? 0f : 1f;
            long rows = head + (long) i0 * width;
            int pRows = pOff + i0 * seq;
            int sRows = dsOff + i0 * seq;
            // dP = dO v^T ; dv += P^T dO
            Blas.gemm(false, true, m, keys, headDim, 1f, dMerged, dMerged.offset() + rows, width,
                    v, v.offset() + head, width, 0f, dScores, sRows, seq);
            Blas.gemm(true, false, keys, headDim, m, 1f, probs, pRows, seq,
                    dMerged, dMerged.offset() + rows, width, beta, dv, dv.offset() + head, width);
            CausalSoftmax.backward(p, pRows, ds, sRows, seq, i0, m);
            // dq = scale · dS k ; dk += scale · dS^T q  (q and k are the rotated ones)
            Blas.gemm(false, false, m, headDim, keys, scale, dScores, sRows, seq,
                    k, k.offset() + head, width, 0f, dq, dq.offset() + rows, width);
            Blas.gemm(true, false, keys, headDim, m, scale, dScores, sRows, seq,
                    q, q.offset() + rows, width, beta, dk, dk.offset() + head, width);
        }
    }

    /**
     * Query rows per block. OpenBLAS runs a product with m·n·k above 65536·4 on all its threads,
     * which for these small per-head products costs more in synchronization than it gains, and
     * would compete with the per-head parallelism here; blocks small enough to stay under that
     * bound also let each block skip the keys its queries cannot see.
     */
    static int queryBlock(int seq, int headDim) {
        int fit = (65_536 * 4) / Math.max(1, seq * headDim);
        return Math.max(1, Math.min(seq, Math.max(16, fit)));
    }
}
