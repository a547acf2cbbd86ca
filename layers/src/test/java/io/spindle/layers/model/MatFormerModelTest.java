package io.spindle.layers.model;

import io.spindle.layers.matformer.JointTraining;
import io.spindle.layers.matformer.MatFormerOptions;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static io.spindle.layers.model.VariantModels.BATCH;
import static io.spindle.layers.model.VariantModels.SEQ;
import static io.spindle.layers.model.VariantModels.VOCAB;
import static io.spindle.layers.model.VariantModels.ids;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MatFormerModelTest {
    private static final ModelConfig BASE = new ModelConfig("test", VOCAB, 8, 3, 2, 16, 8, 10_000, 1e-5, 0.3);

    private static ModelConfig matformer(JointTraining.Mode mode, List<Double> weights) {
        return BASE.withVariant(ModelVariant.BASELINE.withMatFormer(new MatFormerOptions(List.of(4, 2, 1), mode, weights)));
    }

    @Test
    void fullWidthIsTheBaselineModelWithTheSameParameters() {
        TransformerLM nested = new TransformerLM(matformer(JointTraining.Mode.SUMMED, List.of()), 1);
        assertEquals(BASE.parameterCount(), nested.parameters().totalSize());
        assertEquals(nested.config().parameterCount(), nested.parameters().totalSize());
        TransformerLM baseline = new SubModel(BASE, VariantModels.snapshot(nested)).build(2);
        SplittableRandom random = new SplittableRandom(1);
        int[] inputs = ids(random, BATCH * SEQ);
        assertEquals(0.0, nested.forwardLogits(inputs, BATCH, SEQ).sub(baseline.forwardLogits(inputs, BATCH, SEQ))
                .amaxNumber().doubleValue(), 1e-6);
    }

    @Test
    void gradientsMatchFiniteDifferencesAtAMixNMatchSubModel() {
        // two blocks, as TransformerLMTest: deeper stacks push float32 noise of the loss past the tolerance
        ModelConfig twoBlocks = new ModelConfig("test", VOCAB, 8, 2, 2, 12, 8, 10_000, 1e-5, 0.3, ModelVariant.BASELINE
                .withMatFormer(new MatFormerOptions(List.of(4, 2, 1), JointTraining.Mode.SUMMED, List.of())));
        TransformerLM model = new TransformerLM(twoBlocks, 6);
        SplittableRandom random = new SplittableRandom(4);
        VariantModels.spreadNormsAndEmbeddings(model, random);
        model.useFfnWidths(3, 6);
        VariantModels.checkGradients(model, random);
    }

    /** The summed objective's gradient is sum_g lambda_g grad L_g, each L_g computed on its own. */
    @Test
    void summedStepAddsEachGranularitysWeightedGradient() {
        List<Double> lambda = List.of(0.5, 1.0, 2.0);
        TransformerLM model = new TransformerLM(matformer(JointTraining.Mode.SUMMED, lambda), 4);
        SplittableRandom random = new SplittableRandom(4);
        int[] inputs = ids(random, BATCH * SEQ), targets = ids(random, BATCH * SEQ);
        List<VariantModels.Pass> passes = new java.util.ArrayList<>();
        for (int g = 0; g < 3; g++) {
            int granularity = g;
            passes.add(VariantModels.pass(model, () -> model.useGranularity(granularity), inputs, targets));
        }
        Map<String, INDArray> want = VariantModels.weightedSum(passes, lambda);
        float fullLoss = passes.get(2).loss();
        model.parameters().zeroGrads();
        float logged = model.forwardBackward(inputs, targets, BATCH, SEQ, 0);
        assertEquals(fullLoss, logged, 1e-6, "the logged loss is the full model's");
        VariantModels.assertClose(want, VariantModels.gradients(model), 1e-6);
        assertEquals(16, ((io.spindle.layers.matformer.MatFormerFFN) blocksFfn(model)).width(), "full width selected again");
    }

    private static Object blocksFfn(TransformerLM model) {
        try {
            java.lang.reflect.Field f = TransformerLM.class.getDeclaredField("nestedFfns");
            f.setAccessible(true);
            return ((Object[]) f.get(model))[0];
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void sampledStepTrainsOneGranularityPerStep() {
        TransformerLM model = new TransformerLM(matformer(JointTraining.Mode.SAMPLED, List.of()), 5);
        SplittableRandom random = new SplittableRandom(5);
        int[] inputs = ids(random, BATCH * SEQ), targets = ids(random, BATCH * SEQ);
        int g = model.config().variant().matformer().jointTraining(5).terms(7).get(0).granularity();
        model.parameters().zeroGrads();
        model.useGranularity(g);
        float want = model.forwardLoss(inputs, targets, BATCH, SEQ);
        model.backward();
        Map<String, INDArray> grads = VariantModels.gradients(model);
        model.parameters().zeroGrads();
        assertEquals(want, model.forwardBackward(inputs, targets, BATCH, SEQ, 7), 1e-6);
        VariantModels.assertClose(grads, VariantModels.gradients(model), 1e-6);
    }

    /** Extraction: the standalone model computes what the MatFormer does at the same widths. */
    @Test
    void extractedSubModelsEqualTheSelectedWidths() {
        TransformerLM model = new TransformerLM(matformer(JointTraining.Mode.SUMMED, List.of()), 6);
        int[] inputs = ids(new SplittableRandom(6), BATCH * SEQ);
        for (int[] widths : new int[][] {{4, 4, 4}, {8, 8, 8}, {4, 16, 8}}) {
            SubModel sub = MatFormerExtraction.extract(model.config(), VariantModels.snapshot(model), widths);
            TransformerLM standalone = sub.build(0);
            assertEquals(sub.config().parameterCount(), standalone.parameters().totalSize());
            assertArrayEquals(new long[] {widths[1], 8}, standalone.parameters().get("blocks.1.ffn.w1").shape());
            model.useFfnWidths(widths);
            assertEquals(0.0, model.forwardLogits(inputs, BATCH, SEQ).sub(standalone.forwardLogits(inputs, BATCH, SEQ))
                    .amaxNumber().doubleValue(), 1e-6);
        }
        long smallest = MatFormerExtraction.extract(model.config(), VariantModels.snapshot(model), 4, 4, 4).config().parameterCount();
        assertTrue(smallest < model.config().parameterCount());
        assertNotEquals(model.config().parameterCount(), smallest);
        assertThrows(IllegalArgumentException.class,
                () -> MatFormerExtraction.extract(BASE, VariantModels.snapshot(model), 4, 4, 4));
        assertThrows(IllegalArgumentException.class,
                () -> MatFormerExtraction.extract(model.config(), VariantModels.snapshot(model), 4, 4));
    }
}
