package io.spindle.layers.model;

import io.spindle.layers.chain.ChainOptions;
import io.spindle.layers.masa.MasaOptions;
import io.spindle.layers.matformer.JointTraining;
import io.spindle.layers.matformer.MatFormerOptions;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static io.spindle.layers.model.VariantModels.BATCH;
import static io.spindle.layers.model.VariantModels.SEQ;
import static io.spindle.layers.model.VariantModels.VOCAB;
import static io.spindle.layers.model.VariantModels.ids;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The nested / shared variants together with per-block mixers, FFN kinds and token-by-token generation. */
class VariantsWithMixersTest {
    private static final MatFormerOptions MATFORMER = new MatFormerOptions(List.of(4, 2, 1), JointTraining.Mode.SUMMED, List.of());
    private static final ChainOptions COLM = new ChainOptions(List.of(4, 4, 4), false, JointTraining.Mode.SUMMED, List.of());

    private static ModelConfig config(List<String> mixers, String ffn, ModelVariant variant) {
        return new ModelConfig("test", VOCAB, 16, 3, 4, 32, SEQ, 10_000, 1e-5, 0.3, mixers, ffn, variant);
    }

    @Test
    void matFormerWithStateSpaceMixersTrainsGeneratesAndExtracts() {
        ModelConfig c = config(List.of("mamba", "attention", "s4d"), "swiglu", ModelVariant.BASELINE.withMatFormer(MATFORMER));
        TransformerLM model = new TransformerLM(c, 1);
        assertEquals(c.parameterCount(), model.parameters().totalSize());
        assertTrue(model.parameters().contains("blocks.0.mamba.in_proj"));
        int[] inputs = ids(new SplittableRandom(2), BATCH * SEQ);
        int[] targets = ids(new SplittableRandom(3), BATCH * SEQ);
        float loss = model.forwardBackward(inputs, targets, BATCH, SEQ, 0);
        assertTrue(Float.isFinite(loss) && loss > 0, "loss " + loss);

        model.useFfnWidths(8, 16, 32);
        MixedLayersTest.assertGenerationEqualsForward(model, inputs, BATCH, SEQ);
        SubModel sub = MatFormerExtraction.extract(c, VariantModels.snapshot(model), 8, 16, 32);
        assertEquals(c.mixers(), sub.config().mixers());
        TransformerLM small = sub.build(0);
        assertEquals(sub.config().parameterCount(), small.parameters().totalSize());
        assertEquals(0.0, model.forwardLogits(inputs, BATCH, SEQ).sub(small.forwardLogits(inputs, BATCH, SEQ))
                .amaxNumber().doubleValue(), 1e-5);
    }

    @Test
    void masaWithGrKanCountsItsParameters() {
        ModelConfig c = config(List.of(), "gr-kan", ModelVariant.BASELINE.withMasa(new MasaOptions(2)));
        TransformerLM model = new TransformerLM(c, 4);
        assertEquals(c.parameterCount(), model.parameters().totalSize());
        assertTrue(model.parameters().contains("blocks.1.ffn.rational2.den"));
    }

    /** The selected chain prefix's logits, token by token. */
    @Test
    void colmGeneratesThroughTheSelectedChainPrefix() {
        ModelConfig c = new ModelConfig("test", VOCAB, 12, 2, 3, 24, SEQ, 10_000, 1e-5, 0.3, ModelVariant.BASELINE.withColm(COLM));
        TransformerLM model = new TransformerLM(c, 5);
        int[] inputs = ids(new SplittableRandom(6), BATCH * SEQ);
        model.useChainPrefix(2);
        MixedLayersTest.assertGenerationEqualsForward(model, inputs, BATCH, SEQ);
    }

    @Test
    void unsupportedCombinationsNameBothKeys() {
        String colmMamba = assertThrows(IllegalArgumentException.class, () -> config(List.of("mamba", "mamba", "attention"),
                "swiglu", ModelVariant.BASELINE.withColm(new ChainOptions(List.of(8, 8), false, JointTraining.Mode.SUMMED,
                        List.of())))).getMessage();
        assertTrue(colmMamba.startsWith("model.colm cannot be combined with model.mixers=[mamba, mamba, attention]"), colmMamba);
        String colmKan = assertThrows(IllegalArgumentException.class, () -> config(List.of(), "gr-kan",
                ModelVariant.BASELINE.withColm(new ChainOptions(List.of(8, 8), false, JointTraining.Mode.SUMMED,
                        List.of())))).getMessage();
        assertTrue(colmKan.startsWith("model.colm cannot be combined with model.ffn=gr-kan"), colmKan);
        String masaS4d = assertThrows(IllegalArgumentException.class, () -> config(List.of("s4d", "attention", "attention"),
                "swiglu", ModelVariant.BASELINE.withMasa(new MasaOptions(2)))).getMessage();
        assertTrue(masaS4d.startsWith("model.masa cannot be combined with model.mixers=[s4d, attention, attention]"), masaS4d);
        String matKan = assertThrows(IllegalArgumentException.class, () -> config(List.of(), "gr-kan",
                ModelVariant.BASELINE.withMatFormer(MATFORMER))).getMessage();
        assertTrue(matKan.startsWith("model.matformer cannot be combined with model.ffn=gr-kan"), matKan);
        String perLayer = assertThrows(IllegalArgumentException.class, () -> config(List.of(), "gr-kan",
                ModelVariant.BASELINE.withFfnHiddenPerLayer(List.of(32, 12, 32)))).getMessage();
        assertTrue(perLayer.contains("model.ffnHiddenPerLayer[1]=12 must both be multiples of 8"), perLayer);
    }
}
