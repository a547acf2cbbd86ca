package io.spindle.layers.model;

import io.spindle.layers.core.Parameter;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.testing.FiniteDifference;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

class TransformerBlockTest {
    private static final int BATCH = 2, SEQ = 4, D_MODEL = 8;

    @Test
    void registersTheDocumentedParameterNames() {
        ParameterSet params = new ParameterSet();
        new TransformerBlock(params, "blocks.3", new ModelConfig("t", 11, D_MODEL, 2, 2, 12, SEQ, 10_000, 1e-5, 0.3));
        List<String> names = params.parameters().stream().map(Parameter::name).toList();
        assertEquals(List.of("blocks.3.attn_norm.weight", "blocks.3.attn.wq", "blocks.3.attn.wk", "blocks.3.attn.wv",
                "blocks.3.attn.wo", "blocks.3.ffn_norm.weight", "blocks.3.ffn.w1", "blocks.3.ffn.w2", "blocks.3.ffn.w3"), names);
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        SplittableRandom random = new SplittableRandom(7);
        ParameterSet params = new ParameterSet();
        TransformerBlock block = new TransformerBlock(params, "b",
                new ModelConfig("t", 11, D_MODEL, 1, 2, 12, SEQ, 10_000, 1e-5, 0.4));
        params.allocate(3);
        // Norm gains away from 1 so their gradients are exercised with non-trivial values.
        params.get("b.attn_norm.weight").value().assign(FiniteDifference.normal(random, 1, D_MODEL));
        params.get("b.ffn_norm.weight").value().assign(FiniteDifference.normal(random, 1, D_MODEL));
        INDArray x = FiniteDifference.normal(random, 1, BATCH * SEQ, D_MODEL);
        INDArray r = FiniteDifference.normal(random, 1, BATCH * SEQ, D_MODEL);
        block.forward(x, BATCH, SEQ);
        INDArray dx = block.backward(r).dup();
        FiniteDifference.check("block dx", x, dx, () -> FiniteDifference.dot(block.forward(x, BATCH, SEQ), r),
                1e-2, 1e-3, random);
        for (Parameter p : params.parameters()) {
            FiniteDifference.check("block d" + p.name(), p.value(), p.grad(),
                    () -> FiniteDifference.dot(block.forward(x, BATCH, SEQ), r), 1e-2, 1e-3, random);
        }
    }
}
