package io.spindle.layers.model;

import io.spindle.layers.core.Parameter;
import io.spindle.layers.core.ParameterRole;
import io.spindle.layers.kan.SmoothRationals;
import io.spindle.layers.testing.FiniteDifference;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Models that mix mixer kinds per layer and use GR-KAN feed-forwards, and their token-by-token generation. */
class MixedLayersTest {
    private static final int VOCAB = 13;
    private static final ModelConfig HYBRID = new ModelConfig("hybrid", VOCAB, 16, 3, 2, 24, 12, 10_000, 1e-5, 0.3,
            List.of("mamba", "attention", "s4d"), "gr-kan");

    private static int[] ids(SplittableRandom random, int n) {
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = random.nextInt(VOCAB);
        return ids;
    }

    @Test
    void blocksGetTheConfiguredMixersAndFeedForwards() {
        TransformerLM model = new TransformerLM(HYBRID, 1);
        assertEquals(HYBRID.parameterCount(), model.parameters().totalSize());
        assertEquals(ParameterRole.MATRIX, model.parameters().get("blocks.0.mamba.in_proj").role());
        assertEquals(ParameterRole.MATRIX, model.parameters().get("blocks.1.attn.wq").role());
        assertEquals(ParameterRole.VECTOR, model.parameters().get("blocks.2.s4d.ssm.log_dt").role());
        assertEquals(ParameterRole.COEFFICIENT, model.parameters().get("blocks.2.ffn.rational2.den").role());
        assertFalse(model.parameters().contains("blocks.0.attn.wq"));
        assertTrue(HYBRID.hasRecurrentMixers());
        assertFalse(new ModelConfig("a", VOCAB, 16, 2, 2, 24, 12, 10_000, 1e-5, 0.3).hasRecurrentMixers());
    }

    /** Token by token through the recurrent states gives the full forward's logits at every position. */
    @Test
    void generationStepsEqualTheFullForward() {
        TransformerLM model = new TransformerLM(HYBRID, 2);
        SplittableRandom random = new SplittableRandom(3);
        int batch = 2, seq = 12;
        assertGenerationEqualsForward(model, ids(random, batch * seq), batch, seq);
    }

    /** Feeds {@code inputs} one token per sequence at a time and checks every position's logits against the full forward. */
    static void assertGenerationEqualsForward(TransformerLM model, int[] inputs, int batch, int seq) {
        INDArray full = model.forwardLogits(inputs, batch, seq);
        TransformerLM.Generation generation = model.startGeneration(batch, seq);
        for (int t = 0; t < seq; t++) {
            int[] tokens = new int[batch];
            for (int b = 0; b < batch; b++) tokens[b] = inputs[b * seq + t];
            INDArray logits = model.nextLogits(tokens, generation);
            for (int b = 0; b < batch; b++) {
                for (int v = 0; v < full.columns(); v++) {
                    assertEquals(full.getFloat((long) b * seq + t, v), logits.getFloat(b, v), 1e-4, "t=" + t + " b=" + b);
                }
            }
        }
    }

    @Test
    void backwardMatchesFiniteDifferencesForEveryParameter() {
        TransformerLM model = new TransformerLM(HYBRID, 6);
        SplittableRandom random = new SplittableRandom(4);
        for (Parameter p : model.parameters().parameters()) {
            // gains near 1 keep the rationals' inputs of unit scale (their x^5 terms make larger ones stiff)
            if (p.role() == ParameterRole.NORM) p.value().assign(FiniteDifference.normal(random, 0.1, p.shape()).addi(1f));
            if (p.role() == ParameterRole.EMBEDDING) p.value().assign(FiniteDifference.normal(random, 1, p.shape()));
            // Mamba's dt_bias starts at softplus⁻¹ of steps ≤ 0.1, where the loss hardly depends on it
            // (gradients ~1e-3, at the float32 rounding floor of a mean loss): unit-scale biases instead
            if (p.role() == ParameterRole.BIAS) p.value().assign(FiniteDifference.normal(random, 1, p.shape()));
            if (p.role() == ParameterRole.COEFFICIENT) {
                p.value().assign(SmoothRationals.smooth(p.value().add(FiniteDifference.normal(random, 0.3, p.shape()))));
            }
        }
        int batch = 2, seq = 10;
        int[] inputs = ids(random, batch * seq), targets = ids(random, batch * seq);
        model.forwardLoss(inputs, targets, batch, seq);
        model.backward();
        // Steps 2e-3 (attention and the scan stay near-linear), 1e-3 for the rational coefficients
        // (they multiply powers up to x^5). A random direction's derivative can be a few 1e-3 here,
        // where this mean loss's float32 rounding (~1e-7 of ~2.6) divided by the step leaves ~1e-4 of
        // noise; so relative 4e-3 (as TransformerLMTest) or absolute 2e-4. Each layer's own test
        // checks its parameters at 1e-3..2e-3 without that floor.
        for (Parameter p : model.parameters().parameters()) {
            double step = p.role() == ParameterRole.COEFFICIENT ? 1e-3 : 2e-3;
            FiniteDifference.check("hybrid LM d" + p.name(), p.value(), p.grad(),
                    () -> model.forwardLoss(inputs, targets, batch, seq), step, 4e-3, 2e-4, random);
        }
    }

    @Test
    void badArchitecturesAreRejectedWithTheFix() {
        String few = assertThrows(IllegalArgumentException.class, () -> new ModelConfig("x", VOCAB, 16, 3, 2, 24, 12, 10_000,
                1e-5, 0.3, List.of("mamba"), "swiglu")).getMessage();
        assertTrue(few.startsWith("model.mixers has 1 entries but model.layers=3; give one mixer per layer"), few);
        String unknown = assertThrows(IllegalArgumentException.class, () -> new ModelConfig("x", VOCAB, 16, 1, 2, 24, 12,
                10_000, 1e-5, 0.3, List.of("rnn"), "swiglu")).getMessage();
        assertEquals("model.mixers has 'rnn'; each entry must be one of [attention, mamba, s4d]", unknown);
        String ffn = assertThrows(IllegalArgumentException.class, () -> new ModelConfig("x", VOCAB, 16, 1, 2, 24, 12,
                10_000, 1e-5, 0.3, List.of(), "kan")).getMessage();
        assertEquals("model.ffn=\"kan\" must be one of [swiglu, gr-kan]", ffn);
        String groups = assertThrows(IllegalArgumentException.class, () -> new ModelConfig("x", VOCAB, 12, 1, 2, 24, 12,
                10_000, 1e-5, 0.3, List.of(), "gr-kan")).getMessage();
        assertTrue(groups.contains("model.dModel=12 and model.ffnHidden=24 must both be multiples of 8"), groups);
    }
}
