package io.spindle.bench;

import io.spindle.layers.model.ModelConfig;
import io.spindle.layers.model.ModelFlavors;
import io.spindle.layers.model.TransformerLM;

import java.util.Arrays;
import java.util.List;

/**
 * Generation speed of the {@code tiny} model with each mixer kind: tokens per second through
 * {@link TransformerLM#nextLogits} (state-space blocks step their recurrent state, attention
 * blocks re-run over their window) against re-running {@link TransformerLM#forwardLogits} over
 * the whole prefix for every new token (what a model without recurrent state does). One sequence,
 * {@link #TOKENS} tokens (= tiny's maxSeq, so both see the same prefix); the token ids are fixed,
 * only the time is measured. Prints {@code RESULT generate model=… recurrent_tok_s=… rerun_tok_s=…}.
 */
public final class GenerationBench {
    private static final int TOKENS = 256;

    private GenerationBench() {}

    public static void main(String[] args) {
        BenchEnvironment.print();
        ModelConfig tiny = ModelFlavors.get("tiny");
        String[][] kinds = {{"attention"}, {"mamba"}, {"s4d"}, {"mamba", "mamba", "attention", "mamba"}};
        int[] ids = new int[TOKENS];
        for (int i = 0; i < TOKENS; i++) ids[i] = 32 + (i * 7) % 90;
        for (String[] kind : kinds) {
            List<String> mixers = kind.length == 1 ? java.util.Collections.nCopies(tiny.layers(), kind[0]) : List.of(kind);
            ModelConfig config = new ModelConfig("tiny", tiny.vocabSize(), tiny.dModel(), tiny.layers(), tiny.heads(),
                    tiny.ffnHidden(), tiny.maxSeq(), tiny.ropeBase(), tiny.normEps(), tiny.initStd(), mixers, "swiglu");
            TransformerLM model = new TransformerLM(config, 1);
            recurrent(model, ids, 32); // warm-up
            rerun(model, ids, 32);
            double recurrent = recurrent(model, ids, TOKENS);
            double rerun = rerun(model, ids, TOKENS);
            System.out.printf("RESULT generate model=%s tokens=%d recurrent_tok_s=%.1f rerun_tok_s=%.1f speedup=%.2f%n",
                    String.join(",", mixers), TOKENS, recurrent, rerun, recurrent / rerun);
        }
        BenchEnvironment.print();
    }

    private static double recurrent(TransformerLM model, int[] ids, int n) {
        long t0 = System.nanoTime();
        TransformerLM.Generation g = model.startGeneration(1, TOKENS);
        for (int t = 0; t < n; t++) model.nextLogits(new int[] {ids[t]}, g);
        return n / ((System.nanoTime() - t0) / 1e9);
    }

    private static double rerun(TransformerLM model, int[] ids, int n) {
        long t0 = System.nanoTime();
        for (int t = 1; t <= n; t++) model.forwardLogits(Arrays.copyOf(ids, t), 1, t);
        return n / ((System.nanoTime() - t0) / 1e9);
    }
}
