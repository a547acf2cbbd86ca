package io.spindle.spark.generate;

import io.spindle.data.tokenizer.ByteTokenizer;
import io.spindle.layers.core.Buffers;
import io.spindle.layers.model.TransformerLM;
import io.spindle.parallel.tpla.TplaDecoder;
import io.spindle.spark.config.SpindleConfig;
import io.spindle.spark.model.CheckpointModels;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Samples text from a byte-level model: temperature and top-k sampling, one token at a time.
 * An attention-only model re-reads the last {@code context} tokens for each (no KV cache: at the
 * sizes Spindle trains on one machine this is milliseconds per token); a model with state-space
 * blocks (Mamba, S4D) advances their recurrent states instead, and an MLA model decodes from its
 * KV-latent caches, over model.mla.tplaShards tensor-parallel ranks in TPLA form when that is
 * more than 1 ({@link TplaDecoder}). Deterministic for a given seed.
 */
public final class TextGenerator {
    private final TransformerLM model;
    private final ByteTokenizer tokenizer = new ByteTokenizer();
    private final int context;

    public TextGenerator(TransformerLM model, int context) {
        if (context <= 0 || context > model.config().maxSeq()) {
            throw new IllegalArgumentException("context " + context + " must be in 1.." + model.config().maxSeq());
        }
        this.model = model;
        this.context = context;
    }

    /** A sample with the loaded run's {@code generate.*} settings: prompt, tokens, temperature, top-k, seed. */
    public static String sample(CheckpointModels.Loaded loaded) {
        SpindleConfig.Generate g = loaded.config().generate();
        return new TextGenerator(loaded.model(), loaded.config().train().seq())
                .generate(g.prompt(), g.tokens(), g.temperature(), g.topK(), g.seed());
    }

    /** Continues {@code prompt} by {@code tokens} sampled tokens and returns prompt + continuation. */
    public String generate(String prompt, int tokens, double temperature, int topK, long seed) {
        int[] promptIds = tokenizer.encode(prompt);
        int[] ids = Arrays.copyOf(promptIds, promptIds.length + tokens);
        int length = promptIds.length;
        if (length == 0) ids[length++] = ByteTokenizer.END_OF_TEXT; // start as at a document boundary
        SplittableRandom random = new SplittableRandom(seed);
        int tplaRanks = model.config().variant().mla().tplaShards();
        if (model.config().variant().mla().enabled() && tplaRanks > 1) {
            int[] sampled = new TplaDecoder(model, tplaRanks).generate(Arrays.copyOf(ids, length), ids.length - length, context, logits -> {
                int next = sample(logits, 0, temperature, topK, random);
                return next == ByteTokenizer.END_OF_TEXT ? -1 : next;
            }).tokens();
            System.arraycopy(sampled, 0, ids, length, sampled.length);
            return tokenizer.decode(Arrays.copyOf(ids, length + sampled.length));
        }
        if (model.config().hasRecurrentMixers() || model.config().variant().mla().enabled()) {
            return recurrent(ids, length, tokens, temperature, topK, random);
        }
        int produced = 0;
        while (produced < tokens && length < ids.length) {
            int from = Math.max(0, length - context);
            int[] window = Arrays.copyOfRange(ids, from, length);
            INDArray logits = model.forwardLogits(window, 1, window.length);
            int next = sample(logits, window.length - 1, temperature, topK, random);
            if (next == ByteTokenizer.END_OF_TEXT) break;
            ids[length++] = next;
            produced++;
        }
        return tokenizer.decode(Arrays.copyOf(ids, length));
    }

    /**
     * Generation through the mixers' states: the prompt is prefilled, then each sampled token fed;
     * O(1) per token in state-space blocks (dense attention blocks re-run over their last
     * {@code context} inputs). MLA caches hold {@code context} positions; when they are full,
     * generation starts over from the recent half.
     */
    private String recurrent(int[] ids, int length, int tokens, double temperature, int topK, SplittableRandom random) {
        boolean cacheLimited = model.config().variant().mla().enabled();
        TransformerLM.Generation generation = model.startGeneration(1, context);
        int from = cacheLimited ? Math.max(0, length - context) : 0;
        INDArray logits = model.prefill(Arrays.copyOfRange(ids, from, length), generation);
        int produced = 0;
        while (produced < tokens && length < ids.length) {
            int next = sample(logits, 0, temperature, topK, random);
            if (next == ByteTokenizer.END_OF_TEXT) break;
            ids[length++] = next;
            produced++;
            if (cacheLimited && generation.positions() == context) {
                generation = model.startGeneration(1, context);
                logits = model.prefill(Arrays.copyOfRange(ids, length - context / 2, length), generation);
            } else {
                logits = model.nextLogits(new int[] {next}, generation);
            }
        }
        return tokenizer.decode(Arrays.copyOf(ids, length));
    }

    /** Samples from row {@code row} of the logits with temperature and top-k. */
    static int sample(INDArray logits, int row, double temperature, int topK, SplittableRandom random) {
        int vocab = (int) logits.size(1);
        FloatBuffer fb = Buffers.floats(logits);
        int base = (int) logits.offset() + row * vocab;
        double[] scaled = new double[vocab];
        for (int v = 0; v < vocab; v++) scaled[v] = fb.get(base + v) / temperature;
        int k = Math.min(Math.max(1, topK), vocab);
        double[] sorted = scaled.clone();
        Arrays.sort(sorted);
        double threshold = sorted[vocab - k];
        double max = sorted[vocab - 1];
        double total = 0;
        double[] p = new double[vocab];
        for (int v = 0; v < vocab; v++) {
            p[v] = scaled[v] >= threshold ? Math.exp(scaled[v] - max) : 0;
            total += p[v];
        }
        double u = random.nextDouble() * total;
        for (int v = 0; v < vocab; v++) {
            u -= p[v];
            if (u <= 0 && p[v] > 0) return v;
        }
        return argmax(scaled); // only reached through floating-point rounding of the total
    }

    private static int argmax(double[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
        return best;
    }
}
