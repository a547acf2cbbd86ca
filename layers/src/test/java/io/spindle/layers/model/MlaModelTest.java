package io.spindle.layers.model;

import io.spindle.layers.core.ParameterRole;
import io.spindle.layers.mla.LatentReduction;
import io.spindle.layers.mla.LatentTransform;
import io.spindle.layers.mla.MlaOptions;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static io.spindle.layers.model.VariantModels.VOCAB;
import static io.spindle.layers.model.VariantModels.ids;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MlaModelTest {
    private static final int SEQ = 10;
    private static final MlaOptions MLA = new MlaOptions(true, 16, 0, 4, 2, MlaOptions.Form.MLA);
    private static final ModelConfig BASE = new ModelConfig("test", VOCAB, 16, 2, 2, 24, 12, 10_000, 1e-5, 0.3);
    static final ModelConfig CONFIG = BASE.withVariant(ModelVariant.BASELINE.withMla(MLA));

    @Test
    void blocksHoldLatentAttentionAndTrainByFiniteDifferences() {
        TransformerLM model = new TransformerLM(CONFIG, 1);
        assertEquals(CONFIG.parameterCount(), model.parameters().totalSize());
        assertFalse(model.parameters().contains("blocks.0.attn.wk"));
        assertEquals(List.of(16L, 16L), Arrays.stream(model.parameters().get("blocks.1.attn.wuv").shape()).boxed().toList());
        assertEquals(ParameterRole.NORM, model.parameters().get("blocks.0.attn.kv_norm.weight").role());
        SplittableRandom random = new SplittableRandom(2);
        VariantModels.spreadNormsAndEmbeddings(model, random);
        VariantModels.checkGradients(model, random);
        TransformerLM tpla = new TransformerLM(CONFIG.withVariant(CONFIG.variant().withMla(MLA.withTpla(2, MlaOptions.Form.TPLA))), 1);
        VariantModels.spreadNormsAndEmbeddings(tpla, random);
        VariantModels.checkGradients(tpla, random);
    }

    /** Prefill of a prompt, then one token at a time from the KV-latent caches, gives the full forward's logits. */
    @Test
    void cachedGenerationEqualsFullForward() {
        for (MlaOptions.Form form : MlaOptions.Form.values()) {
            ModelConfig config = CONFIG.withVariant(CONFIG.variant().withMla(MLA.withTpla(2, form)));
            TransformerLM model = new TransformerLM(config, 4);
            int[] tokens = ids(new SplittableRandom(5), SEQ);
            INDArray full = model.forwardLogits(tokens, 1, SEQ);
            // the sequence form's own decoding: one holder of every shard the sequence form has
            int shards = form == MlaOptions.Form.TPLA ? 2 : 1;
            TransformerLM.Generation g = model.startLatentGeneration(1, SEQ, shards, 0, shards, LatentReduction.NONE);
            INDArray logits = model.prefill(Arrays.copyOf(tokens, 4), g);
            assertClose(full.getRow(3), logits, form + " prefill");
            for (int t = 4; t < SEQ; t++) {
                logits = model.nextLogits(new int[] {tokens[t]}, g);
                assertClose(full.getRow(t), logits, form + " position " + t);
            }
            assertEquals(SEQ, g.positions());
            // 2 MLA blocks x 12 positions (maxSeq) x (16 latent + 4 RoPE) floats x 4 bytes, whichever form
            assertEquals(1920, g.latentCacheBytes(), form.name());
        }
        TransformerLM baseline = new TransformerLM(BASE, 4);
        assertEquals(0, baseline.startGeneration(1, SEQ).latentCacheBytes());
    }

    /** A folded Hadamard or PCA transform leaves the model's MLA form unchanged, and the TPLA decoding it prepares stays close to MLA's. */
    @Test
    void conversionKeepsTheMlaFormAndDecodesInTpla() {
        TransformerLM trained = new TransformerLM(CONFIG, 6);
        VariantModels.spreadNormsAndEmbeddings(trained, new SplittableRandom(6));
        int[] tokens = ids(new SplittableRandom(7), 4 * SEQ);
        INDArray before = trained.forwardLogits(tokens, 4, SEQ);
        for (LatentTransform.Kind kind : LatentTransform.Kind.values()) {
            SubModel converted = TplaConversion.fromMla(CONFIG, VariantModels.snapshot(trained), 2, kind, tokens, 4, SEQ);
            assertEquals(2, converted.config().variant().mla().tplaShards());
            assertEquals(MlaOptions.Form.MLA, converted.config().variant().mla().sequenceForm());
            TransformerLM model = converted.build(0);
            assertEquals(0, model.forwardLogits(tokens, 4, SEQ).sub(before).amaxNumber().doubleValue(), 2e-4, kind.name());
            TransformerLM.Generation g = model.startLatentGeneration(1, SEQ, 2, 0, 2, LatentReduction.NONE);
            INDArray logits = model.prefill(Arrays.copyOf(tokens, SEQ - 1), g);
            logits = model.nextLogits(new int[] {tokens[SEQ - 1]}, g);
            assertTrue(Double.isFinite(logits.sumNumber().doubleValue()));
        }
        assertThrows(IllegalArgumentException.class, () -> TplaConversion.fromMla(BASE, VariantModels.snapshot(new TransformerLM(BASE, 1)),
                2, LatentTransform.Kind.NONE, tokens, 4, SEQ));
    }

    @Test
    void invalidCombinationsAreRefusedWithTheKeyToChange() {
        IllegalArgumentException shards = assertThrows(IllegalArgumentException.class,
                () -> BASE.withVariant(ModelVariant.BASELINE.withMla(new MlaOptions(true, 12, 0, 4, 5, MlaOptions.Form.MLA))));
        assertTrue(shards.getMessage().contains("model.mla.tplaShards=5 must divide model.mla.latent=12"), shards.getMessage());
        IllegalArgumentException masa = assertThrows(IllegalArgumentException.class, () -> new ModelVariant(List.of(),
                io.spindle.layers.matformer.MatFormerOptions.OFF, io.spindle.layers.chain.ChainOptions.OFF,
                new io.spindle.layers.masa.MasaOptions(2), MLA));
        assertTrue(masa.getMessage().contains("model.attention=mla cannot be combined with model.masa"), masa.getMessage());
        IllegalArgumentException off = assertThrows(IllegalArgumentException.class,
                () -> new MlaOptions(false, 0, 0, 16, 2, MlaOptions.Form.MLA));
        assertTrue(off.getMessage().contains("set model.attention=mla"), off.getMessage());
    }

    static void assertClose(INDArray want, INDArray got, String what) {
        assertEquals(0, want.reshape(got.shape()).sub(got).amaxNumber().doubleValue(), 2e-4, what);
    }
}
