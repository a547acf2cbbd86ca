package io.spindle.layers.masa;

import io.spindle.layers.attention.CausalSelfAttention;
import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.Parameter;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.testing.FiniteDifference;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class MasaAttentionTest {
    private static final int BATCH = 2, SEQ = 5, D = 8, HEADS = 2, LAYERS = 3, ATOMS = 2;

    /** Independent reference: the baseline attention with each layer's synthesized dense matrices. */
    @Test
    void eachLayerIsTheBaselineAttentionWithItsCombinedMatrices() {
        ParameterSet params = new ParameterSet();
        AttentionDictionaries dicts = AttentionDictionaries.register(params, "masa", LAYERS, ATOMS, D,
                Initializer.normal(0.4), Initializer.normal(0.4));
        params.allocate(3);
        INDArray x = FiniteDifference.normal(new SplittableRandom(1), 1, BATCH * SEQ, D);
        INDArray r = FiniteDifference.normal(new SplittableRandom(2), 1, BATCH * SEQ, D);
        for (int l = 0; l < LAYERS; l++) {
            MasaAttention masa = new MasaAttention(dicts, l, HEADS, SEQ, 10_000);
            ParameterSet denseParams = new ParameterSet();
            CausalSelfAttention dense = new CausalSelfAttention(denseParams, "d", D, HEADS, SEQ, 10_000,
                    Initializer.constant(0f), Initializer.constant(0f));
            denseParams.allocate(0);
            for (char t : AttentionDictionaries.TYPES) {
                denseParams.get("d.w" + t).value().assign(new DictionaryLinear(dicts.of(t), l).weight());
            }
            assertEquals(0.0, masa.forward(x, BATCH, SEQ).sub(dense.forward(x, BATCH, SEQ)).amaxNumber().doubleValue(), 1e-5);
            assertEquals(0.0, masa.backward(r).sub(dense.backward(r)).amaxNumber().doubleValue(), 1e-5);
        }
    }

    /** Two stacked MASA layers sharing the dictionaries, checked end to end against finite differences. */
    @Test
    void stackedLayersSharingDictionariesMatchFiniteDifferences() {
        SplittableRandom random = new SplittableRandom(4);
        ParameterSet params = new ParameterSet();
        AttentionDictionaries dicts = AttentionDictionaries.register(params, "masa", 2, 2, D, Initializer.normal(0.4),
                Initializer.normal(0.4));
        params.allocate(5);
        MasaAttention first = new MasaAttention(dicts, 0, HEADS, SEQ, 10_000);
        MasaAttention second = new MasaAttention(dicts, 1, HEADS, SEQ, 10_000);
        INDArray x = FiniteDifference.normal(random, 1, BATCH * SEQ, D);
        INDArray r = FiniteDifference.normal(random, 1, BATCH * SEQ, D);
        java.util.function.DoubleSupplier loss = () -> FiniteDifference.dot(second.forward(first.forward(x, BATCH, SEQ), BATCH, SEQ), r);
        loss.getAsDouble();
        INDArray dx = first.backward(second.backward(r)).dup();
        FiniteDifference.check("dx", x, dx, loss, 1e-2, 2e-3, random);
        for (Parameter p : params.parameters()) FiniteDifference.check("d" + p.name(), p.value(), p.grad(), loss, 1e-2, 2e-3, random);
    }

    @Test
    void parameterCountIsAtomsNotLayers() {
        ParameterSet params = new ParameterSet();
        AttentionDictionaries dicts = AttentionDictionaries.register(params, "masa", 12, 4, 64, Initializer.normal(0.02),
                Initializer.normal(0.02));
        assertEquals(4L * (4 * 64 * 64 + 12 * 4), params.totalSize());
        assertEquals(params.totalSize(), dicts.parameterCount());
        assertThrows(IllegalArgumentException.class, () -> AttentionDictionaries.register(new ParameterSet(), "m", 3, 4, 8,
                Initializer.normal(0.02), Initializer.normal(0.02)));
    }
}
