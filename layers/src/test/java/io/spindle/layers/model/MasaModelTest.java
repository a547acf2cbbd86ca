package io.spindle.layers.model;

import io.spindle.layers.core.ParameterRole;
import io.spindle.layers.masa.MasaOptions;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static io.spindle.layers.model.VariantModels.BATCH;
import static io.spindle.layers.model.VariantModels.SEQ;
import static io.spindle.layers.model.VariantModels.VOCAB;
import static io.spindle.layers.model.VariantModels.ids;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MasaModelTest {
    private static final ModelConfig BASE = new ModelConfig("test", VOCAB, 8, 3, 2, 12, 8, 10_000, 1e-5, 0.3);

    @Test
    void attentionLivesInSharedDictionariesWithTheirOwnRoles() {
        ModelConfig config = BASE.withVariant(ModelVariant.BASELINE.withMasa(new MasaOptions(2)));
        TransformerLM model = new TransformerLM(config, 1);
        assertEquals(config.parameterCount(), model.parameters().totalSize());
        assertEquals(BASE.parameterCount() - 3 * 4 * 64 + 4 * (2 * 64 + 3 * 2), config.parameterCount());
        assertFalse(model.parameters().contains("blocks.0.attn.wq"));
        assertEquals(ParameterRole.ATOM, model.parameters().get("masa.k.atom1").role());
        assertEquals(ParameterRole.COEFFICIENT, model.parameters().get("masa.o.coefficients").role());
        SplittableRandom random = new SplittableRandom(2);
        VariantModels.spreadNormsAndEmbeddings(model, random);
        VariantModels.checkGradients(model, random);
    }

    /** With one atom per layer the PCA dictionary reproduces every layer: the converted model is the baseline. */
    @Test
    void conversionWithAsManyAtomsAsLayersKeepsTheModelsFunction() {
        TransformerLM baseline = new TransformerLM(BASE, 3);
        int[] inputs = ids(new SplittableRandom(3), BATCH * SEQ);
        SubModel converted = MasaConversion.fromBaseline(BASE, VariantModels.snapshot(baseline), 3);
        TransformerLM masa = converted.build(0);
        assertEquals(0.0, baseline.forwardLogits(inputs, BATCH, SEQ).sub(masa.forwardLogits(inputs, BATCH, SEQ))
                .amaxNumber().doubleValue(), 1e-4);
        // fewer atoms: fewer parameters, a model that still runs and differs from the baseline
        SubModel smaller = MasaConversion.fromBaseline(BASE, VariantModels.snapshot(baseline), 1);
        assertTrue(smaller.config().parameterCount() < BASE.parameterCount());
        assertTrue(smaller.build(0).forwardLogits(inputs, BATCH, SEQ).sub(baseline.forwardLogits(inputs, BATCH, SEQ))
                .amaxNumber().doubleValue() > 1e-4);
        assertThrows(IllegalArgumentException.class, () -> MasaConversion.fromBaseline(converted.config(), converted.params(), 2));
    }
}
