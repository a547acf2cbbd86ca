package io.spindle.spark.generate;

import io.spindle.data.tokenizer.ByteTokenizer;
import io.spindle.layers.model.ModelConfig;
import io.spindle.layers.model.TransformerLM;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TextGeneratorTest {
    private static final ModelConfig HYBRID = new ModelConfig("hybrid", 258, 16, 3, 2, 32, 64, 10_000, 1e-5, 0.5,
            List.of("mamba", "attention", "s4d"), "gr-kan");

    /**
     * With state-space blocks the generator steps through their states; while the text fits the
     * context, it samples what re-running the whole prefix for every token samples.
     */
    @Test
    void recurrentGenerationSamplesWhatFullRerunsSample() {
        samplesWhatFullRerunsSample(new TransformerLM(HYBRID, 7));
    }

    /** An MLA model decodes from its KV-latent caches, prefilled with the prompt. */
    @Test
    void mlaGenerationFromTheCacheSamplesWhatFullRerunsSample() {
        ModelConfig mla = new ModelConfig("mla", 258, 16, 2, 2, 32, 64, 10_000, 1e-5, 0.5).withVariant(
                io.spindle.layers.model.ModelVariant.BASELINE.withMla(
                        new io.spindle.layers.mla.MlaOptions(true, 16, 0, 4, 1, io.spindle.layers.mla.MlaOptions.Form.MLA)));
        samplesWhatFullRerunsSample(new TransformerLM(mla, 7));
    }

    private static void samplesWhatFullRerunsSample(TransformerLM model) {
        String prompt = "Emma ";
        int tokens = 40;
        String recurrent = new TextGenerator(model, 64).generate(prompt, tokens, 1.0, 20, 11);

        ByteTokenizer tokenizer = new ByteTokenizer();
        int[] ids = Arrays.copyOf(tokenizer.encode(prompt), prompt.length() + tokens);
        int length = prompt.length();
        SplittableRandom random = new SplittableRandom(11);
        for (int produced = 0; produced < tokens; produced++) {
            INDArray logits = model.forwardLogits(Arrays.copyOf(ids, length), 1, length);
            int next = TextGenerator.sample(logits, length - 1, 1.0, 20, random);
            if (next == ByteTokenizer.END_OF_TEXT) break;
            ids[length++] = next;
        }
        assertEquals(tokenizer.decode(Arrays.copyOf(ids, length)), recurrent);
        assertTrue(recurrent.startsWith(prompt) && recurrent.length() > prompt.length(), recurrent);
    }

    /** Past the attention window the state-space blocks keep their whole history; it still runs and is deterministic. */
    @Test
    void generatesBeyondTheContextDeterministically() {
        TransformerLM model = new TransformerLM(HYBRID, 8);
        String a = new TextGenerator(model, 16).generate("", 50, 0.8, 10, 5);
        String b = new TextGenerator(model, 16).generate("", 50, 0.8, 10, 5);
        assertEquals(a, b);
    }
}
