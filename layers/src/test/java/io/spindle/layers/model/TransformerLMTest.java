package io.spindle.layers.model;

import io.spindle.layers.core.Parameter;
import io.spindle.layers.core.ParameterRole;
import io.spindle.layers.testing.FiniteDifference;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TransformerLMTest {
    private static final int BATCH = 2, SEQ = 5, VOCAB = 13;
    private static final ModelConfig SMALL = new ModelConfig("test", VOCAB, 8, 2, 2, 12, 8, 10_000, 1e-5, 0.3);

    private static int[] ids(SplittableRandom random, int n) {
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = random.nextInt(VOCAB);
        return ids;
    }

    @Test
    void parametersCarryTheDocumentedNamesRolesAndCount() {
        TransformerLM model = new TransformerLM(SMALL, 1);
        List<Parameter> params = model.parameters().parameters();
        assertEquals("embed.weight", params.get(0).name());
        assertEquals(ParameterRole.EMBEDDING, params.get(0).role());
        assertEquals(ParameterRole.MATRIX, model.parameters().get("blocks.1.ffn.w2").role());
        assertEquals(ParameterRole.NORM, model.parameters().get("blocks.1.ffn_norm.weight").role());
        assertEquals(ParameterRole.NORM, model.parameters().get("final_norm.weight").role());
        Parameter head = model.parameters().get("head.weight");
        assertEquals(ParameterRole.HEAD, head.role());
        assertEquals(List.of((long) VOCAB, 8L), List.of(head.shape()[0], head.shape()[1]));
        assertEquals(SMALL.parameterCount(), model.parameters().totalSize());
        assertEquals(2 + 2 * 9 + 1, params.size());
    }

    @Test
    void outputProjectionsStartScaledDownByDepth() {
        ModelConfig config = new ModelConfig("t", VOCAB, 64, 8, 4, 128, 8, 10_000, 1e-5, 0.02);
        TransformerLM model = new TransformerLM(config, 3);
        double wq = Math.sqrt(model.parameters().get("blocks.0.attn.wq").value().varNumber().doubleValue());
        double wo = Math.sqrt(model.parameters().get("blocks.0.attn.wo").value().varNumber().doubleValue());
        double w2 = Math.sqrt(model.parameters().get("blocks.0.ffn.w2").value().varNumber().doubleValue());
        assertEquals(0.02, wq, 0.002);
        assertEquals(0.02 / 4, wo, 0.0005);
        assertEquals(0.02 / 4, w2, 0.0005);
        assertEquals(1.0, model.parameters().get("blocks.0.attn_norm.weight").value().minNumber().doubleValue(), 0);
    }

    @Test
    void lossAtInitializationIsNearLogVocab() {
        TransformerLM model = new TransformerLM(ModelFlavors.get("tiny"), 5);
        SplittableRandom random = new SplittableRandom(2);
        int[] inputs = new int[4 * 32], targets = new int[4 * 32];
        for (int i = 0; i < inputs.length; i++) {
            inputs[i] = random.nextInt(258);
            targets[i] = random.nextInt(258);
        }
        float loss = model.forwardLoss(inputs, targets, 4, 32);
        assertEquals(Math.log(258), loss, 0.05);
    }

    @Test
    void forwardLossIsTheCrossEntropyOfForwardLogits() {
        TransformerLM model = new TransformerLM(SMALL, 4);
        SplittableRandom random = new SplittableRandom(3);
        int[] inputs = ids(random, BATCH * SEQ), targets = ids(random, BATCH * SEQ);
        INDArray logits = model.forwardLogits(inputs, BATCH, SEQ);
        assertEquals(List.of((long) BATCH * SEQ, (long) VOCAB), List.of(logits.size(0), logits.size(1)));
        double want = 0;
        for (int r = 0; r < targets.length; r++) {
            double sum = 0;
            for (int c = 0; c < VOCAB; c++) sum += Math.exp(logits.getDouble(r, c));
            want += Math.log(sum) - logits.getDouble(r, targets[r]);
        }
        assertEquals(want / targets.length, model.forwardLoss(inputs, targets, BATCH, SEQ), 1e-5);
    }

    @Test
    void sameSeedBuildsTheSameModelAndDifferentSeedsDiffer() {
        INDArray a = new TransformerLM(SMALL, 9).parameters().values();
        assertEquals(a, new TransformerLM(SMALL, 9).parameters().values());
        assertNotEquals(a, new TransformerLM(SMALL, 10).parameters().values());
    }

    @Test
    void backwardMatchesFiniteDifferencesForEveryParameter() {
        TransformerLM model = new TransformerLM(SMALL, 6);
        SplittableRandom random = new SplittableRandom(4);
        // Norm gains away from 1, and embeddings of unit scale: RMSNorm's sensitivity is 1/|x|, so
        // small embedding rows would make a finite step of 1e-2 too non-linear to compare with.
        for (Parameter p : model.parameters().parameters()) {
            if (p.role() == ParameterRole.NORM) p.value().assign(FiniteDifference.normal(random, 1, p.shape()).addi(1f));
            if (p.role() == ParameterRole.EMBEDDING) p.value().assign(FiniteDifference.normal(random, 1, p.shape()));
        }
        int[] inputs = ids(random, BATCH * SEQ), targets = ids(random, BATCH * SEQ);
        inputs[3] = inputs[7]; // a repeated token: its embedding row must collect both gradients
        model.forwardLoss(inputs, targets, BATCH, SEQ);
        model.backward();
        // Step 3e-3 because attention scores make larger steps non-linear; tolerance 4e-3 because
        // the gradients of a mean loss are small enough that float32 rounding of the loss reaches
        // ~1.6e-3 relative on the smallest (wk); a wrong gradient term is off by far more.
        for (Parameter p : model.parameters().parameters()) {
            FiniteDifference.check("LM d" + p.name(), p.value(), p.grad(),
                    () -> model.forwardLoss(inputs, targets, BATCH, SEQ), 3e-3, 4e-3, random);
        }
    }

    @Test
    void rejectsBadShapesAndBackwardWithoutForward() {
        TransformerLM model = new TransformerLM(SMALL, 1);
        assertThrows(IllegalStateException.class, model::backward);
        int[] ids = new int[BATCH * SEQ];
        assertThrows(IllegalArgumentException.class, () -> model.forwardLoss(ids, new int[3], BATCH, SEQ));
        IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
                () -> model.forwardLoss(new int[9], new int[9], 1, 9));
        assertTrue(tooLong.getMessage().contains("model.maxSeq=8"), tooLong.getMessage());
        model.forwardLoss(ids, ids, BATCH, SEQ);
        model.forwardLogits(ids, BATCH, SEQ);
        assertThrows(IllegalStateException.class, model::backward, "forwardLogits reuses the buffers backward needs");
    }
}
