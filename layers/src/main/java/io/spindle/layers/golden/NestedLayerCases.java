package io.spindle.layers.golden;

import io.spindle.layers.chain.ChainAttention;
import io.spindle.layers.chain.ChainLinear;
import io.spindle.layers.chain.ChainRMSNorm;
import io.spindle.layers.chain.Chains;
import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.Parameter;
import io.spindle.layers.core.ParameterRole;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.golden.LayerConformance.Activations;
import io.spindle.layers.masa.DictionaryLinear;
import io.spindle.layers.masa.MatrixDictionary;
import io.spindle.layers.matformer.MatFormerFFN;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Golden cases of the nested and shared-weight layers: MatFormer's nested FFN, the Chain-of-Model
 * layers and MASA. Each case's leaves are bound to Spindle parameters (directly, or split into a
 * layer's per-chain blocks), then the layer runs forward and backward with the case's upstream
 * tensors, and every input and parameter gradient is returned in the case's names and shapes.
 */
final class NestedLayerCases {
    private static final Initializer UNUSED_INIT = Initializer.constant(0f);

    private NestedLayerCases() {}

    static LayerResult matformerFfn(LayerCase c) {
        Activations x = Activations.of(c);
        ParameterSet params = new ParameterSet();
        MatFormerFFN ffn = new MatFormerFFN(params, "ffn", x.features(), (int) LayerConformance.number(c, "hidden", null),
                UNUSED_INIT, UNUSED_INIT);
        params.allocate(0);
        ffn.useWidth((int) LayerConformance.number(c, "m", null));
        Map<String, Leaf> leaves = new LinkedHashMap<>();
        for (String w : new String[] {"w1", "w2", "w3"}) leaves.put(w, Leaf.of(params.get("ffn." + w)));
        return run(c, x, leaves, Layer.single(ffn::forward, ffn::backward));
    }

    static LayerResult chainLinear(LayerCase c) {
        Activations x = Activations.of(c);
        Chains in = chains(c, x.features());
        INDArray w = c.params().get("w");
        if (w == null || w.rank() != 2) throw new IllegalArgumentException("colm-linear case needs a param 'w' [out, in]");
        Chains out = w.size(0) == in.total() ? in : in.scaledTo((int) w.size(0));
        ParameterSet params = new ParameterSet();
        ChainLinear linear = ChainLinear.causal(params, "w", in, out, ParameterRole.MATRIX, UNUSED_INIT);
        params.allocate(0);
        return run(c, x, Map.of("w", Leaf.of(linear)), Layer.single(linear::forward, linear::backward));
    }

    static LayerResult chainRmsNorm(LayerCase c) {
        Activations x = Activations.of(c);
        Chains chains = chains(c, x.features());
        ParameterSet params = new ParameterSet();
        ChainRMSNorm norm = new ChainRMSNorm(params, "weight", chains, LayerConformance.number(c, "eps", null));
        params.allocate(0);
        Parameter[] gains = new Parameter[chains.count()];
        for (int j = 0; j < gains.length; j++) gains[j] = norm.gain(j);
        return run(c, x, Map.of("weight", Leaf.consecutive(new long[] {chains.total()}, gains)),
                Layer.single(norm::forward, norm::backward));
    }

    static LayerResult chainAttention(LayerCase c, boolean air) {
        Activations x = Activations.of(c);
        Chains chains = chains(c, x.features());
        ParameterSet params = new ParameterSet();
        ChainAttention attn = new ChainAttention(params, "attn", chains, (int) LayerConformance.number(c, "heads", null),
                x.seq(), LayerConformance.number(c, "rope_base", LayerConformance.DEFAULT_ROPE_BASE), air,
                UNUSED_INIT, UNUSED_INIT);
        params.allocate(0);
        Map<String, Leaf> leaves = new LinkedHashMap<>();
        leaves.put("wq", Leaf.of(attn.projection('q')));
        leaves.put(air ? "wk1" : "wk", Leaf.of(attn.projection('k')));
        leaves.put(air ? "wv1" : "wv", Leaf.of(attn.projection('v')));
        leaves.put("wo", Leaf.of(attn.projection('o')));
        return run(c, x, leaves, Layer.single(in -> attn.forward(in, x.batch(), x.seq()), attn::backward));
    }

    /**
     * MASA's rule on its own: per layer l, {@code output_l = (x W_q,l^T) W_o,l^T} with each W the
     * layer's combination of its type's atoms; both layers share the dictionaries.
     */
    static LayerResult masa(LayerCase c) {
        Activations x = Activations.of(c);
        int layers = (int) LayerConformance.number(c, "layers", null);
        int atoms = (int) LayerConformance.number(c, "atoms", null);
        ParameterSet params = new ParameterSet();
        MatrixDictionary q = new MatrixDictionary(params, "q", layers, atoms, x.features(), x.features(), UNUSED_INIT, UNUSED_INIT);
        MatrixDictionary o = new MatrixDictionary(params, "o", layers, atoms, x.features(), x.features(), UNUSED_INIT, UNUSED_INIT);
        params.allocate(0);
        Map<String, Leaf> leaves = new LinkedHashMap<>();
        for (MatrixDictionary d : new MatrixDictionary[] {q, o}) {
            Parameter[] atomParams = new Parameter[atoms];
            for (int s = 0; s < atoms; s++) atomParams[s] = d.atom(s);
            leaves.put("atoms_" + d.name(), Leaf.consecutive(new long[] {atoms, d.out(), d.in()}, atomParams));
            leaves.put("coeff_" + d.name(), Leaf.of(d.coefficients()));
        }
        DictionaryLinear[] wq = new DictionaryLinear[layers];
        DictionaryLinear[] wo = new DictionaryLinear[layers];
        for (int l = 0; l < layers; l++) {
            wq[l] = new DictionaryLinear(q, l);
            wo[l] = new DictionaryLinear(o, l);
        }
        return run(c, x, leaves, new Layer() {
            public Map<String, INDArray> forward(INDArray in) {
                Map<String, INDArray> out = new LinkedHashMap<>();
                for (int l = 0; l < layers; l++) out.put("layer" + l, wo[l].forward(wq[l].forward(in)));
                return out;
            }

            public INDArray backward(Map<String, INDArray> upstream) {
                INDArray dx = Nd4j.zeros(DataType.FLOAT, x.rows().shape());
                for (int l = 0; l < layers; l++) wq[l].backward(wo[l].backward(upstream.get("layer" + l)), dx, true);
                return dx;
            }
        });
    }

    /** The case's {@code chains} sizes, which must add up to the input width. */
    private static Chains chains(LayerCase c, int width) {
        Object v = c.config().get("chains");
        if (!(v instanceof List<?> list) || !list.stream().allMatch(Number.class::isInstance)) {
            throw new IllegalArgumentException(c.layer() + " case config needs a list of numbers 'chains', got " + v);
        }
        @SuppressWarnings("unchecked")
        Chains chains = Chains.of((List<Number>) list);
        if (chains.total() != width) {
            throw new IllegalArgumentException(c.layer() + " case chains " + chains + " add up to " + chains.total()
                    + ", but the input has " + width + " features");
        }
        return chains;
    }

    /** Loads the leaves, runs forward then backward with the case's upstream tensors, collects the results. */
    private static LayerResult run(LayerCase c, Activations x, Map<String, Leaf> leaves, Layer layer) {
        for (Map.Entry<String, Leaf> e : leaves.entrySet()) {
            INDArray given = c.params().get(e.getKey());
            if (given == null) {
                throw new IllegalArgumentException(c.layer() + " case has no param '" + e.getKey() + "'; it needs "
                        + leaves.keySet());
            }
            LayerConformance.requireShape("param " + e.getKey(), given, e.getValue().shape());
            e.getValue().load(given.castTo(DataType.FLOAT).dup('c'));
        }
        Map<String, INDArray> outputs = new LinkedHashMap<>();
        layer.forward(x.rows()).forEach((name, y) -> outputs.put(name, y.dup().reshape('c', x.batch(), x.seq(), y.size(1))));
        Map<String, INDArray> upstream = new LinkedHashMap<>();
        for (Map.Entry<String, INDArray> e : outputs.entrySet()) {
            INDArray r = c.upstream().get(e.getKey());
            if (r == null) throw new IllegalArgumentException(c.layer() + " case has no upstream '" + e.getKey() + "'");
            LayerConformance.requireShape("upstream " + e.getKey(), r, e.getValue().shape());
            upstream.put(e.getKey(), r.castTo(DataType.FLOAT).dup('c').reshape('c', x.rows().size(0), r.size(2)));
        }
        Map<String, INDArray> grads = new LinkedHashMap<>();
        grads.put("x", layer.backward(upstream).dup().reshape('c', x.shape()));
        leaves.forEach((name, leaf) -> grads.put(name, leaf.grad()));
        return new LayerResult(outputs, grads);
    }

    /** A case parameter as Spindle holds it: how to load the case's value and read back its gradient. */
    private interface Leaf {
        long[] shape();

        void load(INDArray value);

        INDArray grad();

        static Leaf of(Parameter p) {
            return new Leaf() {
                public long[] shape() { return p.shape(); }

                public void load(INDArray value) { p.value().assign(value.reshape('c', p.shape())); }

                public INDArray grad() { return p.grad().dup(); }
            };
        }

        /** A chain layer's blocks as the dense block-lower-triangular matrix the case holds. */
        static Leaf of(ChainLinear linear) {
            return new Leaf() {
                public long[] shape() { return linear.denseValue().shape(); }

                public void load(INDArray value) { linear.assignDense(value); }

                public INDArray grad() { return linear.denseGrad(); }
            };
        }

        /** Parameters laid end to end in row-major order as one tensor of {@code shape} (per-chain gains, atoms). */
        static Leaf consecutive(long[] shape, Parameter... parts) {
            return new Leaf() {
                public long[] shape() { return shape.clone(); }

                private static long total(long[] shape) {
                    long n = 1;
                    for (long d : shape) n *= d;
                    return n;
                }

                public void load(INDArray value) {
                    INDArray flat = value.reshape('c', new long[] {value.length()});
                    long at = 0;
                    for (Parameter p : parts) {
                        p.value().assign(flat.get(NDArrayIndex.interval(at, at + p.size())).reshape('c', p.shape()));
                        at += p.size();
                    }
                }

                public INDArray grad() {
                    INDArray flat = Nd4j.zeros(DataType.FLOAT, shape).reshape('c', new long[] {total(shape)});
                    long at = 0;
                    for (Parameter p : parts) {
                        flat.get(NDArrayIndex.interval(at, at + p.size())).assign(p.grad().reshape('c', new long[] {p.size()}));
                        at += p.size();
                    }
                    return flat.reshape('c', shape);
                }
            };
        }
    }

    /** Forward from x rows to named outputs, backward from named upstream tensors to dx. */
    private interface Layer {
        Map<String, INDArray> forward(INDArray x);

        INDArray backward(Map<String, INDArray> upstream);

        static Layer single(Function<INDArray, INDArray> forward, Function<INDArray, INDArray> backward) {
            return new Layer() {
                public Map<String, INDArray> forward(INDArray x) { return Map.of("output", forward.apply(x)); }

                public INDArray backward(Map<String, INDArray> upstream) { return backward.apply(upstream.get("output")); }
            };
        }
    }
}
