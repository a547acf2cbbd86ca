package io.spindle.layers.golden;

import io.spindle.layers.attention.CausalSelfAttention;
import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.Parameter;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.ffn.SwiGLU;
import io.spindle.layers.model.ModelConfig;
import io.spindle.layers.model.TransformerBlock;
import io.spindle.layers.norm.RMSNorm;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * Runs a golden layer case through Spindle's own layers: builds the layer at the case's shapes,
 * copies the case's parameters in, runs forward, then backward with the upstream tensor, and
 * returns outputs and the gradients of every input and parameter in the case's names.
 */
public final class LayerConformance {
    /** RoPE base when a case does not state one; the baseline cases say "base 10000" in their variant. */
    static final double DEFAULT_ROPE_BASE = 10_000;
    private static final Initializer UNUSED_INIT = Initializer.constant(0f);

    private LayerConformance() {}

    public static LayerResult evaluate(LayerCase c) {
        return switch (c.layer()) {
            case "rmsnorm" -> rmsnorm(c);
            case "attention" -> attention(c);
            case "swiglu" -> swiglu(c);
            case "block" -> block(c);
            case "rational", "grkan-ffn", "s4d", "selective-scan", "mamba-block" -> KanSsmCases.evaluate(c);
            case "matformer-ffn" -> NestedLayerCases.matformerFfn(c);
            case "colm-linear" -> NestedLayerCases.chainLinear(c);
            case "colm-rmsnorm" -> NestedLayerCases.chainRmsNorm(c);
            case "colm-attention" -> NestedLayerCases.chainAttention(c, false);
            case "colm-air-attention" -> NestedLayerCases.chainAttention(c, true);
            case "masa" -> NestedLayerCases.masa(c);
            case "mla" -> LatentCases.mla(c);
            case "tpla" -> LatentCases.tpla(c);
            default -> throw new UnsupportedCaseException("layer '" + c.layer() + "' is not implemented in this build");
        };
    }

    private static LayerResult rmsnorm(LayerCase c) {
        Activations x = Activations.of(c);
        ParameterSet params = new ParameterSet();
        RMSNorm norm = new RMSNorm(params, "weight", x.features, number(c, "eps", null));
        return run(c, x, params, Map.of("weight", "weight"), norm::forward, norm::backward);
    }

    private static LayerResult attention(LayerCase c) {
        Activations x = Activations.of(c);
        ParameterSet params = new ParameterSet();
        CausalSelfAttention attn = new CausalSelfAttention(params, "attn", x.features,
                (int) number(c, "heads", null), x.seq, number(c, "rope_base", DEFAULT_ROPE_BASE), UNUSED_INIT, UNUSED_INIT);
        Map<String, String> names = new LinkedHashMap<>();
        for (String w : new String[] {"wq", "wk", "wv", "wo"}) names.put(w, "attn." + w);
        return run(c, x, params, names, in -> attn.forward(in, x.batch, x.seq), attn::backward);
    }

    private static LayerResult swiglu(LayerCase c) {
        Activations x = Activations.of(c);
        ParameterSet params = new ParameterSet();
        SwiGLU ffn = new SwiGLU(params, "ffn", x.features, (int) number(c, "hidden", null), UNUSED_INIT, UNUSED_INIT);
        Map<String, String> names = new LinkedHashMap<>();
        for (String w : new String[] {"w1", "w2", "w3"}) names.put(w, "ffn." + w);
        return run(c, x, params, names, ffn::forward, ffn::backward);
    }

    private static LayerResult block(LayerCase c) {
        Activations x = Activations.of(c);
        ParameterSet params = new ParameterSet();
        ModelConfig config = new ModelConfig("golden-block", 1, x.features, 1, (int) number(c, "heads", null),
                (int) number(c, "hidden", null), x.seq, number(c, "rope_base", DEFAULT_ROPE_BASE),
                number(c, "eps", null), 0.02);
        TransformerBlock block = new TransformerBlock(params, "block", config);
        Map<String, String> names = new LinkedHashMap<>();
        names.put("n1", "block.attn_norm.weight");
        for (String w : new String[] {"wq", "wk", "wv", "wo"}) names.put(w, "block.attn." + w);
        names.put("n2", "block.ffn_norm.weight");
        for (String w : new String[] {"w1", "w2", "w3"}) names.put(w, "block.ffn." + w);
        return run(c, x, params, names, in -> block.forward(in, x.batch, x.seq), block::backward);
    }

    /** Allocates, loads parameters (case name → Spindle name), runs forward and backward. */
    static LayerResult run(LayerCase c, Activations x, ParameterSet params, Map<String, String> names,
                                   Function<INDArray, INDArray> forward, Function<INDArray, INDArray> backward) {
        loadParams(c, params, names);
        INDArray upstream = c.upstream().get("output");
        if (upstream == null) throw new IllegalArgumentException(c.layer() + " case has no upstream 'output'");
        requireShape("upstream output", upstream, x.shape);

        INDArray y = forward.apply(x.rows).dup().reshape('c', x.shape);
        INDArray dx = backward.apply(x.asRows(upstream)).dup().reshape('c', x.shape);

        Map<String, INDArray> grads = new LinkedHashMap<>();
        grads.put("x", dx);
        for (Map.Entry<String, String> e : names.entrySet()) {
            grads.put(e.getKey(), params.get(e.getValue()).grad().dup());
        }
        return new LayerResult(Map.of("output", y), grads);
    }

    /** Allocates {@code params} and copies every case param in (case name → Spindle name). */
    static void loadParams(LayerCase c, ParameterSet params, Map<String, String> names) {
        params.allocate(0);
        for (Map.Entry<String, String> e : names.entrySet()) {
            INDArray given = c.params().get(e.getKey());
            if (given == null) {
                throw new IllegalArgumentException(c.layer() + " case has no param '" + e.getKey() + "'; it needs "
                        + names.keySet());
            }
            Parameter p = params.get(e.getValue());
            requireShape("param " + e.getKey(), given, p.shape());
            p.value().assign(given.castTo(DataType.FLOAT).reshape('c', p.shape()));
        }
    }

    static double number(LayerCase c, String key, Double fallback) {
        Object v = c.config().get(key);
        if (v instanceof Number n) return n.doubleValue();
        if (v == null && fallback != null) return fallback;
        throw new IllegalArgumentException(c.layer() + " case config needs a number '" + key + "', got " + v);
    }

    static void requireShape(String what, INDArray a, long[] shape) {
        if (!Arrays.equals(a.shape(), shape)) {
            throw new IllegalArgumentException(what + " has shape " + Arrays.toString(a.shape()) + ", expected "
                    + Arrays.toString(shape));
        }
    }

    /** The case's input x: [batch, seq, features], flattened to the layers' [batch*seq, features] rows. */
    record Activations(int batch, int seq, int features, long[] shape, INDArray rows) {
        static Activations of(LayerCase c) {
            INDArray x = c.inputs().get("x");
            if (x == null) throw new IllegalArgumentException(c.layer() + " case has no input 'x'");
            if (x.rank() != 3) {
                throw new IllegalArgumentException("input x must be [batch, seq, features], got shape "
                        + Arrays.toString(x.shape()));
            }
            int batch = (int) x.size(0);
            int seq = (int) x.size(1);
            int features = (int) x.size(2);
            INDArray rows = x.castTo(DataType.FLOAT).dup('c').reshape('c', (long) batch * seq, features);
            return new Activations(batch, seq, features, x.shape(), rows);
        }

        INDArray asRows(INDArray t) {
            return t.castTo(DataType.FLOAT).dup('c').reshape('c', (long) batch * seq, features);
        }
    }
}
