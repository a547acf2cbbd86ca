package io.spindle.layers.mla;

import io.spindle.layers.core.Blas;
import io.spindle.layers.core.Buffers;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;

/**
 * One decoding step of an MLA layer in the absorbed form (DeepSeek-V2 §2.1.2, "absorbed into"
 * W_q and W_o): the new token's latent and RoPE key are appended to the cache, each head's query
 * is absorbed into the latent space {@code q~_h = q_h W_uk,h}, attends over the cached latents
 * directly (no per-head keys or values are ever formed), and the context goes back through
 * {@code W_uv,h} and {@code W_o}. Only the cache's own latent columns are touched: a TPLA rank
 * computes its slice of the latent, of q~ and of W_uv, and its partial output, which
 * {@link LatentReduction} sums with the other ranks' (the latent norm's sum of squares too).
 */
final class LatentDecoder {
    private final MultiHeadLatentAttention layer;

    LatentDecoder(MultiHeadLatentAttention layer) {
        this.layer = layer;
    }

    /** x: [batch, D], one new token per sequence → y: [batch, D], a new array; appends to {@code cache}. */
    INDArray step(INDArray x, LatentCache cache) {
        LatentShape s = layer.shape;
        if (cache.shape.latent() != s.latent() || cache.shape.heads() != s.heads() || cache.shape.ropeDim() != s.ropeDim()) {
            throw new IllegalArgumentException("cache of shape " + cache.shape + " does not belong to this MLA layer " + s);
        }
        int batch = cache.batch();
        if (x.rank() != 2 || x.size(0) != batch || x.size(1) != s.dModel()) {
            throw new IllegalArgumentException("MLA step input has shape " + java.util.Arrays.toString(x.shape())
                    + ", expected [" + batch + ", " + s.dModel() + "]");
        }
        cache.requireRoom(1);
        int position = cache.length();
        int h = s.heads();
        int dh = s.headDim();
        int r = s.latent();
        int d = s.dModel();
        int width = cache.width;
        int lo = cache.lo;
        INDArray xs = x.dup('c');
        INDArray q = Buffers.zeros(batch, (long) h * dh);
        Blas.gemm(false, true, 1f, xs, layer.wq.weight().value(), 0f, q);
        INDArray c = Buffers.zeros(batch, width);                      // this holder's latent columns
        INDArray wdkv = layer.wdkv.weight().value();
        Blas.gemm(false, true, batch, width, d, 1f, xs, xs.offset(), d, wdkv, wdkv.offset() + (long) lo * d, d, 0f, c, c.offset(), width);
        float[] latent = floats(c);
        if (layer.kvNorm != null) normalize(latent, batch, width, lo, r, cache.reduction);
        float[] qRope = new float[batch * h * s.ropeDim()];
        float[] kRope = new float[batch * s.ropeDim()];
        if (layer.rope != null) {
            qRope = rotatedProjection(xs, layer.wqRope.weight().value(), h, position);
            kRope = rotatedProjection(xs, layer.wkRope.weight().value(), 1, position);
        }
        cache.appendStep(latent, kRope);
        INDArray qLat = Buffers.zeros(batch, (long) h * width);        // q~_h restricted to the cached columns
        INDArray wuk = layer.wuk.value();
        for (int i = 0; i < h; i++) {
            Blas.gemm(false, false, batch, width, dh, 1f, q, q.offset() + (long) i * dh, h * dh,
                    wuk, wuk.offset() + (long) i * dh * r + lo, r, 0f, qLat, qLat.offset() + (long) i * width, h * width);
        }
        INDArray ctx = Buffers.zeros(batch, (long) h * width);
        attend(floats(qLat), qRope, cache, ctx);
        INDArray merged = Buffers.zeros(batch, (long) h * dh);
        INDArray wuv = layer.wuv.value();
        for (int i = 0; i < h; i++) {
            Blas.gemm(false, true, batch, dh, width, 1f, ctx, ctx.offset() + (long) i * width, h * width,
                    wuv, wuv.offset() + (long) i * dh * r + lo, r, 0f, merged, merged.offset() + (long) i * dh, h * dh);
        }
        INDArray y = Buffers.zeros(batch, d);
        Blas.gemm(false, true, 1f, merged, layer.wo.weight().value(), 0f, y);
        cache.reduction.sum(y);
        return y;
    }

    /** RMSNorm of the whole latent from this holder's columns: their sums of squares are summed over all holders first. */
    private void normalize(float[] latent, int batch, int width, int lo, int r, LatentReduction reduction) {
        INDArray sums = Buffers.zeros(batch);
        FloatBuffer ss = Buffers.floats(sums);
        for (int b = 0; b < batch; b++) {
            double acc = 0;
            for (int j = 0; j < width; j++) acc += latent[b * width + j] * latent[b * width + j];
            ss.put((int) sums.offset() + b, (float) acc);
        }
        reduction.sum(sums);
        float[] g = floats(layer.kvNorm.gain().value());
        for (int b = 0; b < batch; b++) {
            float inv = (float) (1.0 / Math.sqrt(ss.get((int) sums.offset() + b) / r + layer.kvNorm.eps()));
            for (int j = 0; j < width; j++) latent[b * width + j] = latent[b * width + j] * inv * g[lo + j];
        }
    }

    /** x W^T rotated by RoPE at {@code position}, per head of width ropeDim: [batch, heads*dr] as a Java array. */
    private float[] rotatedProjection(INDArray x, INDArray w, int heads, int position) {
        INDArray y = Buffers.zeros(x.size(0), w.size(0));
        Blas.gemm(false, true, 1f, x, w, 0f, y);
        FloatBuffer buf = Buffers.floats(y);
        for (int b = 0; b < x.size(0); b++) {
            layer.rope.rotateRow(buf, (int) (y.offset() + b * w.size(0)), heads, position, false);
        }
        return floats(y);
    }

    /** Per sequence, head and cached TPLA shard: softmax over positions 0..length-1 of the shard's scores, then its weighted latents. */
    private void attend(float[] qLat, float[] qRope, LatentCache cache, INDArray ctx) {
        LatentShape s = cache.shape;
        int h = s.heads();
        int dr = s.ropeDim();
        int width = cache.width;
        int sw = s.shardWidth();
        int len = cache.length();
        float scale = (float) s.scale();
        float[] out = new float[(int) ctx.length()];
        double[] p = new double[len];
        for (int b = 0; b < cache.batch(); b++) {
            for (int i = 0; i < h; i++) {
                int qRow = (b * h + i) * width;
                for (int t = 0; t < cache.count; t++) {
                    int col = t * sw;
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < len; j++) {
                        int key = (b * cache.capacity + j) * width + col;
                        float dot = 0;
                        for (int k = 0; k < sw; k++) dot += qLat[qRow + col + k] * cache.latent[key + k];
                        int kr = (b * cache.capacity + j) * dr;
                        for (int k = 0; k < dr; k++) dot += qRope[(b * h + i) * dr + k] * cache.ropeKey[kr + k];
                        p[j] = dot * scale;
                        max = Math.max(max, p[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < len; j++) sum += p[j] = Math.exp(p[j] - max);
                    for (int j = 0; j < len; j++) {
                        float weight = (float) (p[j] / sum);
                        int key = (b * cache.capacity + j) * width + col;
                        for (int k = 0; k < sw; k++) out[qRow + col + k] += weight * cache.latent[key + k];
                    }
                }
            }
        }
        Buffers.floats(ctx).put((int) ctx.offset(), out);
    }

    private static float[] floats(INDArray a) {
        float[] out = new float[(int) a.length()];
        Buffers.floats(a).get((int) a.offset(), out);
        return out;
    }
}
