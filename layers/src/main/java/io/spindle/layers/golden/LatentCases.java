package io.spindle.layers.golden;

import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.golden.LayerConformance.Activations;
import io.spindle.layers.mla.LatentShape;
import io.spindle.layers.mla.LatentTransform;
import io.spindle.layers.mla.MultiHeadLatentAttention;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Golden cases of multi-head latent attention: {@code mla} (the content path, no latent norm, no
 * RoPE part) and {@code tpla} (the same with the latent cut into T slices, optionally rotated by
 * a Hadamard matrix first). A TPLA case has one output per rank, {@code rank<t>} (slice t's
 * partial), and {@code output}, their sum; its gradients are those of
 * {@code sum_t <rank_t, R_t> + <output, R>} = {@code sum_t <rank_t, R_t + R>}, so each rank's
 * partial is run backward with its own upstream and the gradients add up.
 */
final class LatentCases {
    private static final Initializer UNUSED_INIT = Initializer.constant(0f);
    private static final String[] WEIGHTS = {"w_q", "w_dkv", "w_uk", "w_uv", "w_o"};
    private static final String[] SPINDLE_NAMES = {"attn.wq", "attn.wdkv", "attn.wuk", "attn.wuv", "attn.wo"};

    private LatentCases() {}

    static LayerResult mla(LayerCase c) {
        return run(c, 1, LatentTransform.Kind.NONE);
    }

    static LayerResult tpla(LayerCase c) {
        int shards = (int) LayerConformance.number(c, "T", null);
        Object transform = c.config().getOrDefault("transform", "none");
        LatentTransform.Kind kind;
        try {
            kind = LatentTransform.Kind.valueOf(String.valueOf(transform).toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new UnsupportedCaseException("tpla transform '" + transform + "' is not known; known: none, hadamard");
        }
        if (kind == LatentTransform.Kind.PCA) {
            throw new UnsupportedCaseException("tpla transform 'pca' needs calibration data, which a case does not carry");
        }
        return run(c, shards, kind);
    }

    private static LayerResult run(LayerCase c, int shards, LatentTransform.Kind kind) {
        Activations x = Activations.of(c);
        int heads = (int) LayerConformance.number(c, "heads", null);
        int headDim = (int) LayerConformance.number(c, "head_dim", null);
        int latent = (int) LayerConformance.number(c, "latent", null);
        ParameterSet params = new ParameterSet();
        MultiHeadLatentAttention attn = new MultiHeadLatentAttention(params, "attn",
                new LatentShape(x.features(), heads, headDim, latent, 0, shards), false, 1e-5, x.seq(),
                LayerConformance.DEFAULT_ROPE_BASE, UNUSED_INIT, UNUSED_INIT);
        Map<String, String> names = new LinkedHashMap<>();
        for (int i = 0; i < WEIGHTS.length; i++) names.put(WEIGHTS[i], SPINDLE_NAMES[i]);
        LayerConformance.loadParams(c, params, names);
        INDArray rotation = kind == LatentTransform.Kind.HADAMARD ? LatentTransform.hadamard(latent).castTo(DataType.FLOAT) : null;
        if (rotation != null) {
            LatentTransform.LatentWeights folded = LatentTransform.fold(new LatentTransform.LatentWeights(
                    params.get("attn.wdkv").value(), null, params.get("attn.wuk").value(), params.get("attn.wuv").value()), rotation);
            params.get("attn.wdkv").value().assign(folded.wdkv());
            params.get("attn.wuk").value().assign(folded.wuk());
            params.get("attn.wuv").value().assign(folded.wuv());
        }

        Map<String, INDArray> outputs = new LinkedHashMap<>();
        INDArray dx = null;
        INDArray upstreamSum = upstream(c, x, "output");
        INDArray total = null;
        for (int t = 0; t < shards; t++) {
            attn.useOutputShard(shards == 1 ? -1 : t);
            INDArray y = attn.forward(x.rows(), x.batch(), x.seq()).dup();
            total = total == null ? y.dup() : total.addi(y);
            INDArray dy = upstreamSum.dup();
            if (shards > 1) {
                outputs.put("rank" + t, y.reshape('c', x.shape()));
                dy.addi(upstream(c, x, "rank" + t));
            }
            INDArray dxRank = attn.backward(dy).dup();
            dx = dx == null ? dxRank : dx.addi(dxRank);
        }
        outputs.put("output", total.reshape('c', x.shape()));

        Map<String, INDArray> grads = new LinkedHashMap<>();
        grads.put("x", dx.reshape('c', x.shape()));
        for (int i = 0; i < WEIGHTS.length; i++) grads.put(WEIGHTS[i], params.get(SPINDLE_NAMES[i]).grad().dup());
        if (rotation != null) {
            // the case's leaves are the unrotated weights: W_dkv' = R^T W_dkv, W_uk' = W_uk R, W_uv' = W_uv R
            grads.put("w_dkv", rotation.mmul(grads.get("w_dkv")));
            grads.put("w_uk", grads.get("w_uk").mmul(rotation.transpose()));
            grads.put("w_uv", grads.get("w_uv").mmul(rotation.transpose()));
        }
        return new LayerResult(outputs, grads);
    }

    private static INDArray upstream(LayerCase c, Activations x, String name) {
        INDArray r = c.upstream().get(name);
        if (r == null) throw new IllegalArgumentException(c.layer() + " case has no upstream '" + name + "'");
        LayerConformance.requireShape("upstream " + name, r, x.shape());
        return x.asRows(r);
    }
}
