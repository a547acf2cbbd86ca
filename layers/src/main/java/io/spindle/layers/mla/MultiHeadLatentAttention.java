package io.spindle.layers.mla;

import io.spindle.layers.attention.LatentAttentionCore;
import io.spindle.layers.attention.RotaryEmbedding;
import io.spindle.layers.core.Blas;
import io.spindle.layers.core.Buffers;
import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.Parameter;
import io.spindle.layers.core.ParameterRole;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.core.ShardLayout;
import io.spindle.layers.linear.Linear;
import io.spindle.layers.norm.RMSNorm;
import io.spindle.layers.ssm.RecurrentMixer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Multi-head latent attention (DeepSeek-V2 §2.1, eqs. 9–19), causal:
 * <pre>
 *   c    = rmsnorm(x W_dkv^T)                       latent, [N, r] (the KV cache)
 *   q_h  = x W_q,h^T,  k_h = c W_uk,h^T,  v_h = c W_uv,h^T
 *   qR_h = RoPE(x W_qr,h^T),  kR = RoPE(x W_kr^T)   decoupled RoPE, kR shared by all heads
 *   o_h  = softmax((q_h k_h^T + qR_h kR^T) / sqrt(dh + dr) + mask) v_h,   y = concat_h(o_h) W_o^T
 * </pre>
 * computed in the absorbed form {@code q_h k_h^T = (q_h W_uk,h) c^T} and
 * {@code P v_h = (P c) W_uv,h^T} ({@link LatentAttentionCore}), which is also how decoding attends
 * over the cached latent directly ({@link LatentDecoder}). With {@code shape.shards() = T > 1}
 * the attention is TPLA's: each latent slice has its own softmax and the slices' outputs add up.
 *
 * <p>Under Megatron's head split (the parameter set holds slices of {@code wq}, {@code wq_rope},
 * {@code wuk}, {@code wuv} by output rows, whole heads, and of {@code wo} by input columns), this
 * instance computes its share of the heads over the whole latent, which every holder computes from
 * its replicated {@code wdkv}, {@code kv_norm} and {@code wk_rope}; {@code wo} sums the shares. In
 * backward the latent's and the RoPE key's gradients are partial sums over the holders' heads, so
 * they are completed before they reach those replicated weights, whose gradients then agree on
 * every holder.
 *
 * <p>Under TPLA's latent split (Tang et al. 2025; the set holds slices of {@code wdkv} by output
 * rows, of the latent norm's gain, and of {@code wuk}, {@code wuv} by their latent columns, whole
 * TPLA shards each), this instance computes its shards' attention for every head over its columns of
 * the latent, normalized with the whole latent's mean square ({@link RMSNorm} completes it), and the
 * holders' partial outputs {@code ctx[t] W_uv[:, t]^T} are summed before the replicated {@code wo}. In
 * backward the gradients of the replicated maps' outputs (the content query, the RoPE query and key)
 * are partial sums over the shards, completed before they reach {@code wq}, {@code wq_rope} and
 * {@code wk_rope}.
 *
 * <p>Parameters ({@code prefix.}): {@code wq} [H·dh, D], {@code wdkv} [r, D],
 * {@code kv_norm.weight} [r] (when the latent is normalized), {@code wuk} and {@code wuv}
 * [H·dh, r], {@code wo} [D, H·dh], and with RoPE {@code wq_rope} [H·dr, D], {@code wk_rope} [dr, D].
 */
public final class MultiHeadLatentAttention implements RecurrentMixer {
    final LatentShape shape;
    final Linear wq;
    final Linear wdkv;
    final RMSNorm kvNorm;
    final Parameter wuk;
    final Parameter wuv;
    final Linear wo;
    final Linear wqRope;
    final Linear wkRope;
    final RotaryEmbedding rope;
    final int maxSeq;
    /** Heads this instance computes: all of them, or its share under a head split. */
    private final int localHeads;
    /** Latent columns this instance holds: all r, or its shards' under a latent split. */
    private final int localLatent;
    private final boolean latentSplit;
    private final ShardLayout layout;
    private final LatentAttentionCore core;
    private final LatentDecoder decoder;
    private int outLo;
    private int outHi;
    private int batch;
    private int seq;
    private INDArray qContent;
    private INDArray latent;
    private INDArray qRope;
    private INDArray kRope;
    private INDArray qLat;
    private INDArray ctx;
    private INDArray merged;
    private INDArray dMerged;
    private INDArray dCtx;
    private INDArray dqContent;
    private INDArray dx;

    /**
     * Registers the parameters under {@code prefix}; the latent is RMS-normalized (with
     * {@code normEps}) when {@code latentNorm}. RoPE tables cover {@code maxSeq} positions.
     */
    public MultiHeadLatentAttention(ParameterSet params, String prefix, LatentShape shape, boolean latentNorm,
                                    double normEps, int maxSeq, double ropeBase, Initializer init, Initializer outputInit) {
        this.shape = shape;
        this.maxSeq = maxSeq;
        int d = shape.dModel();
        int hd = shape.heads() * shape.headDim();
        int r = shape.latent();
        this.wq = new Linear(params, prefix + ".wq", d, hd, ParameterRole.MATRIX, init);
        this.wdkv = new Linear(params, prefix + ".wdkv", d, r, ParameterRole.MATRIX, init);
        this.kvNorm = latentNorm ? new RMSNorm(params, prefix + ".kv_norm.weight", r, normEps) : null;
        this.wuk = params.add(prefix + ".wuk", new long[] {hd, r}, ParameterRole.MATRIX, init);
        this.wuv = params.add(prefix + ".wuv", new long[] {hd, r}, ParameterRole.MATRIX, init);
        this.wo = new Linear(params, prefix + ".wo", hd, d, ParameterRole.MATRIX, outputInit);
        boolean hasRope = shape.ropeDim() > 0;
        this.wqRope = hasRope ? new Linear(params, prefix + ".wq_rope", d, shape.heads() * shape.ropeDim(),
                ParameterRole.MATRIX, init) : null;
        this.wkRope = hasRope ? new Linear(params, prefix + ".wk_rope", d, shape.ropeDim(), ParameterRole.MATRIX, init) : null;
        this.rope = hasRope ? new RotaryEmbedding(shape.ropeDim(), maxSeq, ropeBase) : null;
        this.layout = params.layout();
        LayerShare share = LayerShare.of(this, prefix);
        this.latentSplit = share.latentSplit();
        this.localLatent = share.latent();
        this.localHeads = share.heads();
        int localShards = shape.shards() / (r / localLatent);
        this.core = new LatentAttentionCore(localHeads, localLatent, localShards, shape.ropeDim(), shape.scale());
        this.decoder = new LatentDecoder(this);
        this.outHi = localLatent;
    }

    /** Whether this instance holds every head and the whole latent (not a tensor-parallel share): decoding needs that. */
    private boolean holdsWholeLayer() {
        return localHeads == shape.heads() && !latentSplit;
    }

    public LatentShape shape() { return shape; }

    /**
     * Restricts the output to TPLA shard {@code t}'s partial, {@code ctx[t] W_uv[:, t]^T W_o^T}
     * (what rank t contributes to the all-reduce); -1 restores the sum over all shards.
     */
    public void useOutputShard(int t) {
        if (t < -1 || t >= shape.shards()) {
            throw new IllegalArgumentException("TPLA shard " + t + " is outside [0, " + shape.shards() + ") (or -1 for all)");
        }
        outLo = t < 0 ? 0 : t * shape.shardWidth();
        outHi = t < 0 ? shape.latent() : outLo + shape.shardWidth();
    }

    /** The normalized latent c of the last forward, [batch*seq, r], owned by this layer (the calibration data of a PCA transform). */
    public INDArray latent() {
        if (latent == null) throw new IllegalStateException("latent() before forward()");
        return latent;
    }

    @Override
    public INDArray forward(INDArray x, int batch, int seq) {
        // x: [N, D] with N = batch*seq
        if (x.rank() != 2 || x.size(0) != (long) batch * seq || x.size(1) != shape.dModel()) {
            throw new IllegalArgumentException("MLA input has shape " + java.util.Arrays.toString(x.shape())
                    + ", expected [" + (long) batch * seq + ", " + shape.dModel() + "]");
        }
        this.batch = batch;
        this.seq = seq;
        int n = batch * seq;
        int h = localHeads;
        int dh = shape.headDim();
        int r = localLatent;
        qContent = wq.forward(x);                                     // [N, H*dh]
        INDArray raw = wdkv.forward(x);                               // [N, r]
        latent = kvNorm != null ? kvNorm.forward(raw) : raw;
        qLat = Buffers.reuse(qLat, n, (long) h * r);                  // q~_h = q_h W_uk,h: [N, H*r]
        for (int i = 0; i < h; i++) {
            Blas.gemm(false, false, n, r, dh, 1f, qContent, qContent.offset() + (long) i * dh, h * dh,
                    wuk.value(), wuk.value().offset() + (long) i * dh * r, r, 0f, qLat, qLat.offset() + (long) i * r, h * r);
        }
        if (rope != null) {
            qRope = wqRope.forward(x);                                // [N, H*dr], rotated in place
            kRope = wkRope.forward(x);                                // [N, dr]
            rope.rotate(Buffers.floats(qRope), (int) qRope.offset(), h * shape.ropeDim(), n, seq, h, false);
            rope.rotate(Buffers.floats(kRope), (int) kRope.offset(), shape.ropeDim(), n, seq, 1, false);
        }
        ctx = core.forward(qLat, latent, qRope, kRope, batch, seq);   // [N, H*r]
        merged = Buffers.reuse(merged, n, (long) h * dh);             // o_h = ctx_h W_uv,h^T over the output columns
        int w = outHi - outLo;
        for (int i = 0; i < h; i++) {
            Blas.gemm(false, true, n, dh, w, 1f, ctx, ctx.offset() + (long) i * r + outLo, h * r,
                    wuv.value(), wuv.value().offset() + (long) i * dh * r + outLo, r, 0f, merged,
                    merged.offset() + (long) i * dh, h * dh);
        }
        if (latentSplit) layout.sumPartials(merged);                 // the shards' partial outputs
        return wo.forward(merged);
    }

    @Override
    public INDArray backward(INDArray dy) {
        if (ctx == null) throw new IllegalStateException("MLA backward() before forward()");
        int n = batch * seq;
        int h = localHeads;
        int dh = shape.headDim();
        int r = localLatent;
        int w = outHi - outLo;
        dMerged = Buffers.reuse(dMerged, n, (long) h * dh);
        wo.backward(dy, dMerged, false);
        dCtx = Buffers.reuse(dCtx, n, (long) h * r);
        if (w != r) dCtx.assign(0f);                                  // columns outside the output shard get no gradient
        for (int i = 0; i < h; i++) {
            long uv = (long) i * dh * r + outLo;
            // dctx_h = dO_h W_uv,h ; dW_uv,h += dO_h^T ctx_h
            Blas.gemm(false, false, n, w, dh, 1f, dMerged, dMerged.offset() + (long) i * dh, h * dh,
                    wuv.value(), wuv.value().offset() + uv, r, 0f, dCtx, dCtx.offset() + (long) i * r + outLo, h * r);
            Blas.gemm(true, false, dh, w, n, 1f, dMerged, dMerged.offset() + (long) i * dh, h * dh,
                    ctx, ctx.offset() + (long) i * r + outLo, h * r, 1f, wuv.grad(), wuv.grad().offset() + uv, r);
        }
        core.backward(dCtx);
        INDArray dqLat = core.dqLat();
        dqContent = Buffers.reuse(dqContent, n, (long) h * dh);
        for (int i = 0; i < h; i++) {
            long uk = (long) i * dh * r;
            // dq_h = dq~_h W_uk,h^T ; dW_uk,h += q_h^T dq~_h
            Blas.gemm(false, true, n, dh, r, 1f, dqLat, dqLat.offset() + (long) i * r, h * r,
                    wuk.value(), wuk.value().offset() + uk, r, 0f, dqContent, dqContent.offset() + (long) i * dh, h * dh);
            Blas.gemm(true, false, dh, r, n, 1f, qContent, qContent.offset() + (long) i * dh, h * dh,
                    dqLat, dqLat.offset() + (long) i * r, h * r, 1f, wuk.grad(), wuk.grad().offset() + uk, r);
        }
        dx = Buffers.reuse(dx, n, shape.dModel());
        if (latentSplit) return backwardLatentSplit(n, h);
        wq.backward(dqContent, dx, false);
        INDArray dkR = null;
        if (rope != null) {
            INDArray dqR = core.dqRope();
            dkR = core.dkRope();
            rope.rotate(Buffers.floats(dqR), (int) dqR.offset(), h * shape.ropeDim(), n, seq, h, true);
            rope.rotate(Buffers.floats(dkR), (int) dkR.offset(), shape.ropeDim(), n, seq, 1, true);
            wqRope.backward(dqR, dx, true);
            layout.sumPartials(dkR);                                  // every head's share of the shared RoPE key
        }
        wq.completeInputGradient(dx);                                 // wq and wq_rope read x the same way
        INDArray dc = core.dc();
        layout.sumPartials(dc);                                       // every head's share of the shared latent
        INDArray dRaw = kvNorm != null ? kvNorm.backward(dc) : dc;
        wdkv.backward(dRaw, dx, true);                                // complete already: added once, on every holder
        if (rope != null) wkRope.backward(dkR, dx, true);
        return dx;
    }

    /**
     * The input gradient under a latent split: wdkv's partial input gradients are completed first;
     * the replicated maps then add theirs once, from output gradients completed over the shards.
     */
    private INDArray backwardLatentSplit(int n, int h) {
        INDArray dRaw = kvNorm != null ? kvNorm.backward(core.dc()) : core.dc();
        wdkv.backward(dRaw, dx, false);
        wdkv.completeInputGradient(dx);
        layout.sumPartials(dqContent);                                // every shard's share of the content query
        wq.backward(dqContent, dx, true);
        if (rope != null) {
            INDArray dqR = core.dqRope();
            INDArray dkR = core.dkRope();
            rope.rotate(Buffers.floats(dqR), (int) dqR.offset(), h * shape.ropeDim(), n, seq, h, true);
            rope.rotate(Buffers.floats(dkR), (int) dkR.offset(), shape.ropeDim(), n, seq, 1, true);
            layout.sumPartials(dqR);
            layout.sumPartials(dkR);
            wqRope.backward(dqR, dx, true);
            wkRope.backward(dkR, dx, true);
        }
        return dx;
    }

    /** RoPE key of the last forward, [batch*seq, dr] rotated; null without RoPE. */
    INDArray lastRopeKey() { return kRope; }

    /** A KV-latent cache of every shard for {@code batch} sequences: MLA decoding (TPLA's when shards > 1) on one device. */
    @Override
    public State start(int batch) {
        requireWholeLayer();
        return new LatentCache(batch, maxSeq, shape, 0, shape.shards(), LatentReduction.NONE);
    }

    /**
     * A cache of TPLA shards {@code [firstShard, firstShard + count)} of {@code shards} (which
     * must divide the latent): one rank's 1/T of the KV latent when count = 1. Each step sums its
     * partials with the other holders' through {@code reduction}.
     */
    public LatentCache startShards(int batch, int shards, int firstShard, int count, LatentReduction reduction) {
        requireWholeLayer();
        return new LatentCache(batch, maxSeq, shape.withShards(shards), firstShard, count, reduction);
    }

    private void requireWholeLayer() {
        if (!holdsWholeLayer()) {
            throw new IllegalStateException("MLA decoding needs every head and the whole latent; this instance holds "
                    + localHeads + " of " + shape.heads() + " heads and " + localLatent + " of " + shape.latent()
                    + " latent columns (a tensor-parallel share): decode from the checkpoint, which holds whole tensors");
        }
    }

    /** Absorbed-form decoding of one token per sequence over the cached latent; see {@link LatentDecoder#step}. */
    @Override
    public INDArray step(INDArray x, State state) {
        return decoder.step(x, (LatentCache) state);
    }

    /** Runs {@code seq} tokens per sequence in this layer's sequence form and caches their latents. */
    @Override
    public INDArray prefill(INDArray x, int batch, int seq, State state) {
        INDArray y = forward(x, batch, seq);
        ((LatentCache) state).append(latent, kRope, batch, seq);
        return y;
    }
}
