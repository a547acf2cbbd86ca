package io.spindle.layers.mla;

import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.Parameter;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.ssm.RecurrentMixer;
import io.spindle.layers.testing.FiniteDifference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MultiHeadLatentAttentionTest {
    static final int BATCH = 2, SEQ = 6, D = 12, HEADS = 3, HEAD_DIM = 4, LATENT = 8, ROPE = 4;
    static final double BASE = 10_000;

    static MultiHeadLatentAttention layer(ParameterSet params, int shards, long seed) {
        MultiHeadLatentAttention attn = new MultiHeadLatentAttention(params, "attn",
                new LatentShape(D, HEADS, HEAD_DIM, LATENT, ROPE, shards), true, 1e-5, SEQ, BASE,
                Initializer.normal(0.4), Initializer.normal(0.4));
        params.allocate(seed);
        // a gain away from 1, so the norm's weight matters everywhere it is used
        params.get("attn.kv_norm.weight").value().assign(FiniteDifference.normal(new SplittableRandom(seed), 0.3, LATENT).addi(1));
        return attn;
    }

    /** The non-absorbed form in double precision: per-head keys and values from the latent, RoPE written out. */
    static double[] reference(ParameterSet params, INDArray xIn, int shards) {
        double[] x = FiniteDifference.toDoubles(xIn);
        double[] wq = FiniteDifference.toDoubles(params.get("attn.wq").value());
        double[] wdkv = FiniteDifference.toDoubles(params.get("attn.wdkv").value());
        double[] g = FiniteDifference.toDoubles(params.get("attn.kv_norm.weight").value());
        double[] wuk = FiniteDifference.toDoubles(params.get("attn.wuk").value());
        double[] wuv = FiniteDifference.toDoubles(params.get("attn.wuv").value());
        double[] wo = FiniteDifference.toDoubles(params.get("attn.wo").value());
        double[] wqr = FiniteDifference.toDoubles(params.get("attn.wq_rope").value());
        double[] wkr = FiniteDifference.toDoubles(params.get("attn.wk_rope").value());
        int n = BATCH * SEQ, hd = HEADS * HEAD_DIM, w = LATENT / shards;
        double[] q = matmulT(x, wq, n, D, hd);
        double[] c = matmulT(x, wdkv, n, D, LATENT);
        for (int i = 0; i < n; i++) {
            double ss = 0;
            for (int j = 0; j < LATENT; j++) ss += c[i * LATENT + j] * c[i * LATENT + j];
            double inv = 1 / Math.sqrt(ss / LATENT + 1e-5);
            for (int j = 0; j < LATENT; j++) c[i * LATENT + j] *= inv * g[j];
        }
        double[] qr = rope(matmulT(x, wqr, n, D, HEADS * ROPE), n, HEADS);
        double[] kr = rope(matmulT(x, wkr, n, D, ROPE), n, 1);
        double[] merged = new double[n * hd];
        double scale = 1 / Math.sqrt(HEAD_DIM + ROPE);
        for (int b = 0; b < BATCH; b++) {
            for (int h = 0; h < HEADS; h++) {
                for (int t = 0; t < shards; t++) {
                    // this shard's keys and values: k_h[t] = c[t] W_uk,h[:, t]^T, v_h[t] = c[t] W_uv,h[:, t]^T
                    for (int i = 0; i < SEQ; i++) {
                        int row = b * SEQ + i;
                        double[] s = new double[i + 1];
                        double max = Double.NEGATIVE_INFINITY;
                        for (int j = 0; j <= i; j++) {
                            int key = b * SEQ + j;
                            double dot = 0;
                            for (int e = 0; e < HEAD_DIM; e++) {
                                double k = 0;
                                for (int l = t * w; l < (t + 1) * w; l++) k += c[key * LATENT + l] * wuk[(h * HEAD_DIM + e) * LATENT + l];
                                dot += q[row * hd + h * HEAD_DIM + e] * k;
                            }
                            for (int e = 0; e < ROPE; e++) dot += qr[(row * HEADS + h) * ROPE + e] * kr[key * ROPE + e];
                            s[j] = dot * scale;
                            max = Math.max(max, s[j]);
                        }
                        double sum = 0;
                        for (int j = 0; j <= i; j++) sum += s[j] = Math.exp(s[j] - max);
                        for (int e = 0; e < HEAD_DIM; e++) {
                            double o = 0;
                            for (int j = 0; j <= i; j++) {
                                double v = 0;
                                for (int l = t * w; l < (t + 1) * w; l++) v += c[(b * SEQ + j) * LATENT + l] * wuv[(h * HEAD_DIM + e) * LATENT + l];
                                o += s[j] / sum * v;
                            }
                            merged[row * hd + h * HEAD_DIM + e] += o;
                        }
                    }
                }
            }
        }
        return matmulT(merged, wo, n, hd, D);
    }

    private static double[] matmulT(double[] x, double[] w, int n, int in, int out) {
        double[] y = new double[n * out];
        for (int i = 0; i < n; i++) for (int o = 0; o < out; o++) {
            double s = 0;
            for (int k = 0; k < in; k++) s += x[i * in + k] * w[o * in + k];
            y[i * out + o] = s;
        }
        return y;
    }

    /** RoPE, half-split pairs (i, i + dr/2) rotated by pos · base^(-2i/dr). */
    private static double[] rope(double[] a, int n, int heads) {
        int half = ROPE / 2;
        for (int row = 0; row < n; row++) {
            int pos = row % SEQ;
            for (int h = 0; h < heads; h++) for (int i = 0; i < half; i++) {
                double angle = pos * Math.pow(BASE, -2.0 * i / ROPE);
                int at = (row * heads + h) * ROPE;
                double x1 = a[at + i], x2 = a[at + half + i];
                a[at + i] = x1 * Math.cos(angle) - x2 * Math.sin(angle);
                a[at + half + i] = x1 * Math.sin(angle) + x2 * Math.cos(angle);
            }
        }
        return a;
    }

    static double maxDiff(INDArray got, double[] want) {
        double[] g = FiniteDifference.toDoubles(got);
        double max = 0;
        for (int i = 0; i < want.length; i++) max = Math.max(max, Math.abs(g[i] - want[i]));
        return max;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 4})
    void absorbedFormEqualsPerHeadKeysAndValues(int shards) {
        ParameterSet params = new ParameterSet();
        MultiHeadLatentAttention attn = layer(params, shards, 3);
        INDArray x = FiniteDifference.normal(new SplittableRandom(1), 1, BATCH * SEQ, D);
        assertEquals(0, maxDiff(attn.forward(x, BATCH, SEQ), reference(params, x, shards)), 1e-5);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void gradientsMatchFiniteDifferences(int shards) {
        SplittableRandom random = new SplittableRandom(7);
        ParameterSet params = new ParameterSet();
        MultiHeadLatentAttention attn = layer(params, shards, 5);
        INDArray x = FiniteDifference.normal(random, 1, BATCH * SEQ, D);
        INDArray r = FiniteDifference.normal(random, 1, BATCH * SEQ, D);
        DoubleSupplier loss = () -> FiniteDifference.dot(attn.forward(x, BATCH, SEQ), r);
        loss.getAsDouble();
        INDArray dx = attn.backward(r).dup();
        FiniteDifference.check("dx", x, dx, loss, 1e-2, 2e-3, random);
        for (Parameter p : params.parameters()) {
            FiniteDifference.check("d" + p.name(), p.value(), p.grad(), loss, 1e-2, 2e-3, 1e-4, random);
        }
    }

    /** Absorbed decoding over the KV-latent cache, after a prefill, gives the full forward's outputs position by position. */
    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void cachedDecodingEqualsFullForward(int shards) {
        ParameterSet params = new ParameterSet();
        MultiHeadLatentAttention attn = layer(params, shards, 9);
        INDArray x = FiniteDifference.normal(new SplittableRandom(2), 1, BATCH * SEQ, D);
        INDArray full = attn.forward(x, BATCH, SEQ).dup();
        int prompt = 2;
        RecurrentMixer.State cache = attn.start(BATCH);
        INDArray promptRows = INDArrayRows.positions(x, BATCH, SEQ, 0, prompt);
        INDArray prefilled = attn.prefill(promptRows, BATCH, prompt, cache).dup();
        assertEquals(0, prefilled.sub(INDArrayRows.positions(full, BATCH, SEQ, 0, prompt)).amaxNumber().doubleValue(), 1e-5);
        for (int t = prompt; t < SEQ; t++) {
            INDArray y = attn.step(INDArrayRows.positions(x, BATCH, SEQ, t, 1), cache);
            assertEquals(0, y.sub(INDArrayRows.positions(full, BATCH, SEQ, t, 1)).amaxNumber().doubleValue(), 1e-5, "position " + t);
        }
        assertEquals(SEQ, ((LatentCache) cache).length());
        assertEquals(LATENT + ROPE, ((LatentCache) cache).floatsPerPosition());
        // 2 sequences x 6 positions (maxSeq) x (8 latent + 4 RoPE) floats x 4 bytes
        assertEquals(576, ((LatentCache) cache).allocatedBytes());
        assertThrows(IllegalStateException.class, () -> attn.step(INDArrayRows.positions(x, BATCH, SEQ, 0, 1), cache));
    }

    /** One shard holder's cache keeps latent/T columns; decoding from it alone gives that shard's partial output. */
    @Test
    void shardCacheHoldsItsSliceAndGivesThePartialOutput() {
        ParameterSet params = new ParameterSet();
        MultiHeadLatentAttention attn = new MultiHeadLatentAttention(params, "attn",
                new LatentShape(D, HEADS, HEAD_DIM, LATENT, ROPE, 2), false, 1e-5, SEQ, BASE,
                Initializer.normal(0.4), Initializer.normal(0.4));
        params.allocate(11);
        INDArray x = FiniteDifference.normal(new SplittableRandom(4), 1, BATCH * SEQ, D);
        LatentCache shard1 = attn.startShards(BATCH, 2, 1, 1, LatentReduction.NONE);
        assertEquals(LATENT / 2 + ROPE, shard1.floatsPerPosition());
        // allocated up front for maxSeq positions: 2 sequences x 6 positions x (4 latent + 4 RoPE) floats x 4 bytes
        assertEquals(384, shard1.allocatedBytes());
        assertEquals(0, shard1.length());
        attn.useOutputShard(1);
        INDArray partial = attn.forward(x, BATCH, SEQ).dup();
        attn.useOutputShard(-1);
        for (int t = 0; t < SEQ; t++) {
            INDArray y = attn.step(INDArrayRows.positions(x, BATCH, SEQ, t, 1), shard1);
            assertEquals(0, y.sub(INDArrayRows.positions(partial, BATCH, SEQ, t, 1)).amaxNumber().doubleValue(), 1e-5);
        }
        assertEquals(384, shard1.allocatedBytes());
    }

    @Test
    void rejectsShardsThatDoNotDivideTheLatent() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new LatentShape(D, 2, 4, 6, 0, 4));
        assertTrue(e.getMessage().contains("model.mla.tplaShards=4"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new LatentShape(D, 2, 4, 8, 3, 1));
    }
}
