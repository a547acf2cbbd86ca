package io.spindle.layers.attention;

import io.spindle.layers.core.Blas;
import io.spindle.layers.core.Buffers;
import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.Parallel;
import io.spindle.layers.core.ParameterRole;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.core.SequenceMixer;
import io.spindle.layers.linear.Linear;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;

/**
 * Causal multi-head self-attention (Vaswani et al. 2017, eq. 1) with RoPE on queries and keys,
 * scale 1/sqrt(headDim), no biases: {@code y = concat_h(softmax(q_h k_h^T / sqrt(d_h) + mask) v_h) Wo^T}.
 *
 * <p>Q, K and V stay in the row layout [batch*seq, dModel]; head h of sequence b is the block of
 * rows b*seq.. and columns h*headDim.., which BLAS reads directly through its leading dimension,
 * so no head split/merge copies are needed. Per (batch, head) and block of query rows, the scores
 * are one small gemm over only the keys those queries can see; (batch, head) pairs run in parallel.
 */
public final class CausalSelfAttention implements SequenceMixer {
    private final int dModel;
    private final int heads;
    private final int headDim;
    private final float scale;
    private final Linear wq;
    private final Linear wk;
    private final Linear wv;
    private final Linear wo;
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
    private INDArray dx;

    /**
     * Registers {@code prefix.wq|wk|wv|wo}, each [dModel, dModel] role MATRIX; wq, wk, wv drawn
     * from {@code init}, the output projection wo from {@code outputInit}.
     */
    public CausalSelfAttention(ParameterSet params, String prefix, int dModel, int heads, int maxSeq,
                               double ropeBase, Initializer init, Initializer outputInit) {
        if (heads <= 0 || dModel % heads != 0) {
            throw new IllegalArgumentException("heads=" + heads + " does not divide dModel=" + dModel);
        }
        this.dModel = dModel;
        this.heads = heads;
        this.headDim = dModel / heads;
        this.scale = (float) (1.0 / Math.sqrt(headDim));
        this.wq = new Linear(params, prefix + ".wq", dModel, dModel, ParameterRole.MATRIX, init);
        this.wk = new Linear(params, prefix + ".wk", dModel, dModel, ParameterRole.MATRIX, init);
        this.wv = new Linear(params, prefix + ".wv", dModel, dModel, ParameterRole.MATRIX, init);
        this.wo = new Linear(params, prefix + ".wo", dModel, dModel, ParameterRole.MATRIX, outputInit);
        this.rope = new RotaryEmbedding(headDim, maxSeq, ropeBase);
    }

    @Override
    public INDArray forward(INDArray x, int batch, int seq) {
        // x: [batch*seq, dModel]
        if (x.size(0) != (long) batch * seq || x.size(1) != dModel) {
            throw new IllegalArgumentException("attention input has shape " + java.util.Arrays.toString(x.shape())
                    + ", expected [" + batch * seq + ", " + dModel + "]");
        }
        this.batch = batch;
        this.seq = seq;
        this.block = queryBlock(seq, headDim);
        int rows = batch * seq;
        q = wq.forward(x);
        k = wk.forward(x);
        v = wv.forward(x);
        rope.rotate(Buffers.floats(q), (int) q.offset(), dModel, rows, seq, heads, false);
        rope.rotate(Buffers.floats(k), (int) k.offset(), dModel, rows, seq, heads, false);
        probs = Buffers.reuse(probs, (long) batch * heads, seq, seq);
        merged = Buffers.reuse(merged, rows, dModel);
        FloatBuffer p = Buffers.floats(probs);
        Parallel.forRange(batch * heads, 1, (chunk, from, to) -> {
            for (int bh = from; bh < to; bh++) forwardHead(bh, p);
        });
        return wo.forward(merged);
    }

    /** One (batch, head): softmax(q k^T · scale) v, a block of query rows at a time. */
    private void forwardHead(int bh, FloatBuffer p) {
        long head = (long) (bh / heads) * seq * dModel + (long) (bh % heads) * headDim;
        int pOff = (int) probs.offset() + bh * seq * seq;
        for (int i0 = 0; i0 < seq; i0 += block) {
            int m = Math.min(block, seq - i0);
            int keys = i0 + m; // causal: this block's queries see keys 0..i0+m-1 only
            long rows = head + (long) i0 * dModel;
            int pRows = pOff + i0 * seq;
            Blas.gemm(false, true, m, keys, headDim, scale, q, q.offset() + rows, dModel,
                    k, k.offset() + head, dModel, 0f, probs, pRows, seq);
            CausalSoftmax.forward(p, pRows, seq, i0, m);
            Blas.gemm(false, false, m, headDim, keys, 1f, probs, pRows, seq,
                    v, v.offset() + head, dModel, 0f, merged, merged.offset() + rows, dModel);
        }
    }

    @Override
    public INDArray backward(INDArray dy) {
        if (probs == null) throw new IllegalStateException("attention backward() before forward()");
        int rows = batch * seq;
        INDArray dMerged = wo.backward(dy);
        dq = Buffers.reuse(dq, rows, dModel);
        dk = Buffers.reuse(dk, rows, dModel);
        dv = Buffers.reuse(dv, rows, dModel);
        dScores = Buffers.reuse(dScores, Parallel.threads(), seq, seq);
        FloatBuffer p = Buffers.floats(probs);
        FloatBuffer ds = Buffers.floats(dScores);
        Parallel.forRange(batch * heads, 1, (chunk, from, to) -> {
            for (int bh = from; bh < to; bh++) backwardHead(bh, dMerged, p, ds, (int) dScores.offset() + chunk * seq * seq);
        });
        rope.rotate(Buffers.floats(dq), (int) dq.offset(), dModel, rows, seq, heads, true);
        rope.rotate(Buffers.floats(dk), (int) dk.offset(), dModel, rows, seq, heads, true);
        dx = Buffers.reuse(dx, rows, dModel);
        wq.backward(dq, dx, false);
        wk.backward(dk, dx, true);
        wv.backward(dv, dx, true);
        return dx;
    }

    /**
     * One (batch, head), query blocks from last to first: the last block reaches every key, so it
     * writes all of dk_h and dv_h (beta 0) and earlier blocks add into their key prefix.
     */
    private void backwardHead(int bh, INDArray dMerged, FloatBuffer p, FloatBuffer ds, int dsOff) {
        long head = (long) (bh / heads) * seq * dModel + (long) (bh % heads) * headDim;
        int pOff = (int) probs.offset() + bh * seq * seq;
        int lastStart = ((seq - 1) / block) * block;
        for (int i0 = lastStart; i0 >= 0; i0 -= block) {
            int m = Math.min(block, seq - i0);
            int keys = i0 + m;
            float beta = keys == seq ? 0f : 1f;
            long rows = head + (long) i0 * dModel;
            int pRows = pOff + i0 * seq;
            int sRows = dsOff + i0 * seq;
            // dP = dO v^T ; dv += P^T dO
            Blas.gemm(false, true, m, keys, headDim, 1f, dMerged, dMerged.offset() + rows, dModel,
                    v, v.offset() + head, dModel, 0f, dScores, sRows, seq);
            Blas.gemm(true, false, keys, headDim, m, 1f, probs, pRows, seq,
                    dMerged, dMerged.offset() + rows, dModel, beta, dv, dv.offset() + head, dModel);
            CausalSoftmax.backward(p, pRows, ds, sRows, seq, i0, m);
            // dq = scale · dS k ; dk += scale · dS^T q  (q and k are the rotated ones)
            Blas.gemm(false, false, m, headDim, keys, scale, dScores, sRows, seq,
                    k, k.offset() + head, dModel, 0f, dq, dq.offset() + rows, dModel);
            Blas.gemm(true, false, keys, headDim, m, scale, dScores, sRows, seq,
                    q, q.offset() + rows, dModel, beta, dk, dk.offset() + head, dModel);
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
