package io.spindle.layers.model;

import io.spindle.layers.chain.ChainOptions;
import io.spindle.layers.matformer.JointTraining;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static io.spindle.layers.model.VariantModels.BATCH;
import static io.spindle.layers.model.VariantModels.SEQ;
import static io.spindle.layers.model.VariantModels.VOCAB;
import static io.spindle.layers.model.VariantModels.ids;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChainModelTest {

    /** dModel 12 in chains [4, 4, 4] (head size 4: one head per chain), FFN hidden 24 → [8, 8, 8]. */
    private static ModelConfig colm(boolean air, JointTraining.Mode mode, List<Double> weights) {
        return new ModelConfig("test", VOCAB, 12, 2, 3, 24, 8, 10_000, 1e-5, 0.3,
                ModelVariant.BASELINE.withColm(new ChainOptions(List.of(4, 4, 4), air, mode, weights)));
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void parameterCountAndGradients(boolean air) {
        TransformerLM model = new TransformerLM(colm(air, JointTraining.Mode.SUMMED, List.of()), 1);
        assertEquals(model.config().parameterCount(), model.parameters().totalSize());
        assertTrue(model.parameters().contains("blocks.1.attn.wq.chain2"));
        SplittableRandom random = new SplittableRandom(2);
        VariantModels.spreadNormsAndEmbeddings(model, random);
        VariantModels.checkGradients(model, random);
        model.useChainPrefix(2);
        VariantModels.checkGradients(model, random);
    }

    /** Elastic inference: the extracted first-k-chains model computes the full model's prefix-k logits. */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void theFirstKChainsAreAWorkingSubModel(boolean air) {
        TransformerLM model = new TransformerLM(colm(air, JointTraining.Mode.SUMMED, List.of()), 3);
        int[] inputs = ids(new SplittableRandom(3), BATCH * SEQ);
        for (int k = 1; k <= 3; k++) {
            SubModel sub = ChainSubModels.firstChains(model.config(), VariantModels.snapshot(model), k);
            assertEquals(4 * k, sub.config().dModel());
            assertEquals(k, sub.config().heads());
            assertEquals(8 * k, sub.config().ffnHidden());
            TransformerLM small = sub.build(0);
            assertEquals(sub.config().parameterCount(), small.parameters().totalSize());
            model.useChainPrefix(k);
            INDArray want = model.forwardLogits(inputs, BATCH, SEQ);
            assertEquals(0.0, want.sub(small.forwardLogits(inputs, BATCH, SEQ)).amaxNumber().doubleValue(), 1e-5, "k=" + k);
        }
        assertThrows(IllegalArgumentException.class, () -> ChainSubModels.firstChains(model.config(), VariantModels.snapshot(model), 4));
    }

    /** Progressive scaling: the grown model keeps the trained chains and computes the same logits until trained further. */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void growingByAChainKeepsTheModelsFunction(boolean air) {
        TransformerLM model = new TransformerLM(colm(air, JointTraining.Mode.SUMMED, List.of(0.5, 0.5, 1.0)), 4);
        SubModel grown = ChainSubModels.grow(model.config(), VariantModels.snapshot(model), 8, 5);
        assertEquals(List.of(4, 4, 4, 8), grown.config().variant().colm().chains());
        assertEquals(20, grown.config().dModel());
        assertEquals(5, grown.config().heads());
        assertEquals(40, grown.config().ffnHidden());
        assertEquals(List.of(0.5, 0.5, 1.0, 1.0), grown.config().variant().colm().prefixWeights());
        TransformerLM bigger = grown.build(0);
        int[] inputs = ids(new SplittableRandom(6), BATCH * SEQ);
        assertEquals(0.0, model.forwardLogits(inputs, BATCH, SEQ).sub(bigger.forwardLogits(inputs, BATCH, SEQ))
                .amaxNumber().doubleValue(), 1e-5);
        // the old chains' parameters are carried over unchanged; the new chain's blocks exist and are not zero
        assertEquals(model.parameters().get("blocks.0.ffn.w2.chain1").value(), bigger.parameters().get("blocks.0.ffn.w2.chain1").value());
        assertTrue(bigger.parameters().get("blocks.0.attn.wq.chain3").value().amaxNumber().doubleValue() > 0);
        // and the grown model trains: the new chain gets gradient
        SplittableRandom random = new SplittableRandom(7);
        int[] targets = ids(random, BATCH * SEQ);
        bigger.parameters().zeroGrads();
        bigger.forwardBackward(inputs, targets, BATCH, SEQ, 0);
        assertTrue(bigger.parameters().get("head.weight").grad().get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(12, 20)).amaxNumber().doubleValue() > 0);
    }

    /** The prefix objective's gradient is sum_k lambda_k grad L_k, each prefix's loss computed on its own. */
    @Test
    void summedPrefixStepAddsEachPrefixsWeightedGradient() {
        List<Double> lambda = List.of(0.25, 0.5, 1.0);
        TransformerLM model = new TransformerLM(colm(false, JointTraining.Mode.SUMMED, lambda), 8);
        SplittableRandom random = new SplittableRandom(8);
        int[] inputs = ids(random, BATCH * SEQ), targets = ids(random, BATCH * SEQ);
        List<VariantModels.Pass> passes = new java.util.ArrayList<>();
        for (int k = 1; k <= 3; k++) {
            int prefix = k;
            passes.add(VariantModels.pass(model, () -> model.useChainPrefix(prefix), inputs, targets));
        }
        Map<String, INDArray> want = VariantModels.weightedSum(passes, lambda);
        float fullLoss = passes.get(2).loss();
        model.useChainPrefix(3);
        model.parameters().zeroGrads();
        assertEquals(fullLoss, model.forwardBackward(inputs, targets, BATCH, SEQ, 0), 1e-6);
        VariantModels.assertClose(want, VariantModels.gradients(model), 1e-6);
    }

    @Test
    void configErrorsNameTheKeyAndTheFix() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ModelConfig("t", VOCAB, 12, 2, 3, 24,
                8, 10_000, 1e-5, 0.3, ModelVariant.BASELINE.withColm(new ChainOptions(List.of(4, 4), false,
                JointTraining.Mode.SUMMED, List.of()))));
        assertTrue(e.getMessage().contains("add up to 8, not model.dModel=12"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ModelConfig("t", VOCAB, 12, 2, 3, 24,
                8, 10_000, 1e-5, 0.3, ModelVariant.BASELINE.withColm(new ChainOptions(List.of(2, 10), false,
                JointTraining.Mode.SUMMED, List.of()))));
        assertTrue(e.getMessage().contains("make every chain size a multiple of 4"), e.getMessage());
    }
}
