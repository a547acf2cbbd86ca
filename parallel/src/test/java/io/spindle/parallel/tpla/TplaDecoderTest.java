package io.spindle.parallel.tpla;

import io.spindle.layers.mla.LatentReduction;
import io.spindle.layers.mla.MlaOptions;
import io.spindle.layers.model.ModelConfig;
import io.spindle.layers.model.ModelVariant;
import io.spindle.layers.model.TransformerLM;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TplaDecoderTest {
    private static final int VOCAB = 20, LATENT = 16, ROPE = 4, LAYERS = 2, SEQ = 16;

    private static TransformerLM model(int shards, MlaOptions.Form form) {
        MlaOptions mla = new MlaOptions(true, LATENT, 0, ROPE, shards, form);
        ModelConfig config = new ModelConfig("test", VOCAB, 16, LAYERS, 2, 24, SEQ, 10_000, 1e-5, 0.3)
                .withVariant(ModelVariant.BASELINE.withMla(mla));
        return new TransformerLM(config, 3);
    }

    /** The T ranks, each with 1/T of the cache and an all-reduce, give the single-device TPLA form's logits at every step. */
    @ParameterizedTest
    @ValueSource(ints = {2, 4})
    void ranksEqualTheSingleDeviceTplaForm(int ranks) {
        TransformerLM model = model(ranks, MlaOptions.Form.MLA);
        int[] prompt = {1, 5, 7, 2};
        int[] forced = new SplittableRandom(4).ints(6, 0, VOCAB).toArray();
        List<INDArray> seen = new ArrayList<>();
        TplaDecoder.Result result = new TplaDecoder(model, ranks).generate(prompt, forced.length, SEQ, logits -> {
            seen.add(logits.dup());
            return forced[seen.size() - 1];
        });
        assertArrayEquals(forced, result.tokens());
        // positions cached: the prompt plus every fed token but the last
        assertEquals((long) LAYERS * (prompt.length + forced.length - 1) * (LATENT / ranks + ROPE), result.cachedFloatsPerRank());
        // allocated for model.maxSeq (= SEQ) positions, float32: 1536 bytes for T = 2, 1024 for T = 4
        assertEquals((long) LAYERS * SEQ * (LATENT / ranks + ROPE) * Float.BYTES, result.cacheBytesPerRank());

        TransformerLM.Generation g = model.startLatentGeneration(1, SEQ, ranks, 0, ranks, LatentReduction.NONE);
        INDArray want = model.prefill(prompt, g);
        TransformerLM.Generation mla = model.startGeneration(1, SEQ);
        INDArray mlaLogits = model.prefill(prompt, mla);
        double fromMla = 0;
        for (int t = 0; t < forced.length; t++) {
            assertEquals(0, seen.get(t).sub(want).amaxNumber().doubleValue(), 1e-4, "step " + t);
            fromMla = Math.max(fromMla, seen.get(t).sub(mlaLogits).amaxNumber().doubleValue());
            want = model.nextLogits(new int[] {forced[t]}, g);
            mlaLogits = model.nextLogits(new int[] {forced[t]}, mla);
        }
        // the prefill is MLA's, the later steps are TPLA's: they differ from MLA decoding
        assertTrue(fromMla > 1e-3, "TPLA decoding matched MLA decoding to " + fromMla);
    }

    /** A model trained in TPLA form decodes over its ranks exactly as its own full-sequence forward. */
    @Test
    void tplaTrainedModelDecodesLikeItsForward() {
        TransformerLM model = model(2, MlaOptions.Form.TPLA);
        int[] tokens = new SplittableRandom(6).ints(SEQ, 0, VOCAB).toArray();
        INDArray full = model.forwardLogits(tokens, 1, SEQ);
        int[] prompt = java.util.Arrays.copyOf(tokens, 3);
        List<INDArray> seen = new ArrayList<>();
        new TplaDecoder(model, 2).generate(prompt, SEQ - 3, SEQ, logits -> {
            seen.add(logits.dup());
            return tokens[2 + seen.size()];
        });
        for (int t = 0; t < seen.size(); t++) {
            assertEquals(0, seen.get(t).sub(full.getRow(2 + t).reshape(1, VOCAB)).amaxNumber().doubleValue(), 1e-4, "position " + (2 + t));
        }
    }

    @Test
    void ranksMustMatchTheModelsShards() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new TplaDecoder(model(2, MlaOptions.Form.MLA), 4));
        assertTrue(e.getMessage().contains("--tp 4"), e.getMessage());
    }

    @Test
    void negativeSampleStopsAndFullCachesStartOver() {
        TransformerLM model = model(2, MlaOptions.Form.MLA);
        assertEquals(0, new TplaDecoder(model, 2).generate(new int[] {1}, 5, SEQ, logits -> -1).tokens().length);
        // more tokens than the cache holds: generation continues from the recent half
        TplaDecoder.Result long_ = new TplaDecoder(model, 2).generate(new int[] {1, 2}, 3 * SEQ, 8, logits -> 3);
        assertEquals(3 * SEQ, long_.tokens().length);
    }
}
