package io.spindle.layers.golden;

import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.Parameter;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.golden.LayerConformance.Activations;
import io.spindle.layers.matformer.MatFormerFFN;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.LinkedHashMap;
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
        layer.forward(x.rows()).forEach((name, y) -> outputs.put(name, y.dup().reshape('c', x.shape())));
        Map<String, INDArray> upstream = new LinkedHashMap<>();
        for (String name : outputs.keySet()) {
            INDArray r = c.upstream().get(name);
            if (r == null) throw new IllegalArgumentException(c.layer() + " case has no upstream '" + name + "'");
            LayerConformance.requireShape("upstream " + name, r, x.shape());
            upstream.put(name, x.asRows(r));
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
