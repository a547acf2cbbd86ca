package io.spindle.bench;

import io.spindle.layers.mla.LatentReduction;
import io.spindle.layers.model.TransformerLM;
import io.spindle.parallel.tpla.TplaDecoder;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Decoding speed of one sequence, MLA on one device (absorbed form, one thread) against TPLA over
 * T ranks ({@link TplaDecoder}: T threads of this JVM joined by the in-process all-reduce), same
 * model, same prompt of {@code --prompt} tokens, then new tokens until the caches hold the whole
 * context (model.maxSeq). Only the decoding steps are timed (from the first token chosen after the
 * prefill to the last: for TPLA, rank 0's sampler calls, so the broadcast and both all-reduces of
 * every block are inside). The token ids are fixed; a step's work does not depend on them. A third
 * form, TPLA's T slices computed one after another on one thread, separates the cost of slicing
 * from the cost of running ranks in parallel.
 *
 * <p>The TPLA ranks hold full replicas of every weight except the latent's slices (TplaDecoder
 * does not shard the FFNs, W_q, W_o, embedding or head), so each rank reads about as many weight
 * bytes per token as MLA on one device: TP = 2 here cannot halve the time of a step.
 *
 * <p>Usage: {@code DecodeBench CONF [--tp 2] [--reps 5] [--prompt 64] [--set key=value]...}.
 * Forms alternate in order from one repetition to the next; prints a {@code RESULT decode} line
 * per form and repetition (tokens/s, process CPU ms per token, load averages) and a
 * {@code RESULT decode-median} line per form.
 */
public final class DecodeBench {
    private static final String USAGE = "DecodeBench CONF [--tp 2] [--reps 5] [--prompt 64] [--set key=value]...";

    /** One form of decoding; {@link #decode} returns tokens/s and process CPU ms per token of its timed steps. */
    private interface Form {
        double[] decode();
    }

    private DecodeBench() {}

    public static void main(String[] args) throws Exception {
        LatentBenchModel m = LatentBenchModel.fromArgs(args, USAGE);
        int ranks = m.option("--tp", 2);
        int reps = m.option("--reps", 5);
        int prompt = m.option("--prompt", 64);
        int context = m.config.maxSeq();
        if (prompt < 1 || prompt >= context) throw new IllegalArgumentException("--prompt " + prompt + " must be in 1.." + (context - 1));
        int[] ids = LatentBenchModel.tokens(context);
        BenchEnvironment.print();
        System.out.printf(Locale.ROOT, "# %s MLA model (r=%d, dr=%d, %d blocks, %d parameters, every one on every TPLA rank),"
                        + " prompt %d tokens, %d decoded, T=%d, %d repetitions%n", m.config.flavor(), m.latent(), m.ropeDim(),
                m.config.layers(), m.mla.parameters().totalSize(), prompt, context - prompt, ranks, reps);

        TransformerLM sliced = m.tpla(ranks);
        TplaDecoder decoder = new TplaDecoder(sliced, ranks);
        Map<String, Form> forms = new LinkedHashMap<>();
        forms.put("mla", () -> onOneThread(m.mla, m.mla.startGeneration(1, context), ids, prompt));
        forms.put("tpla-ranks", () -> onRanks(decoder, ids, prompt));
        forms.put("tpla-one-thread", () -> onOneThread(sliced,
                sliced.startLatentGeneration(1, context, ranks, 0, ranks, LatentReduction.NONE), ids, prompt));

        for (Form f : forms.values()) f.decode(); // warm-up: JIT and first-touch of every buffer
        Map<String, List<Double>> rates = new LinkedHashMap<>();
        List<String> names = new ArrayList<>(forms.keySet());
        for (int rep = 1; rep <= reps; rep++) {
            List<String> order = new ArrayList<>(names);
            java.util.Collections.rotate(order, rep - 1);    // every form goes first in turn, so drift spreads over all
            for (String name : order) {
                String loadBefore = LatentBenchModel.loadAverage();
                double[] r = forms.get(name).decode();
                rates.computeIfAbsent(name, k -> new ArrayList<>()).add(r[0]);
                System.out.printf(Locale.ROOT, "RESULT decode form=%s T=%d threads=%d rep=%d tok_s=%.1f cpu_ms_per_token=%.2f"
                                + " load_before=%s load_after=%s%n", name, name.equals("mla") ? 1 : ranks,
                        name.equals("tpla-ranks") ? ranks : 1, rep, r[0], r[1], loadBefore, LatentBenchModel.loadAverage());
            }
        }
        double mla = median(rates.get("mla"));
        for (Map.Entry<String, List<Double>> e : rates.entrySet()) {
            List<Double> sorted = new ArrayList<>(e.getValue());
            sorted.sort(null);
            System.out.printf(Locale.ROOT, "RESULT decode-median form=%s median_tok_s=%.1f min=%.1f max=%.1f vs_mla=%.2f%n",
                    e.getKey(), median(sorted), sorted.get(0), sorted.get(sorted.size() - 1), median(sorted) / mla);
        }
        BenchEnvironment.print();
    }

    /** Prefill, then one token per step on this thread; times the steps only. */
    private static double[] onOneThread(TransformerLM model, TransformerLM.Generation g, int[] ids, int prompt) {
        model.prefill(Arrays.copyOf(ids, prompt), g);
        long t0 = System.nanoTime();
        long c0 = CpuTime.process();
        for (int k = prompt; k < ids.length; k++) model.nextLogits(new int[] {ids[k]}, g);
        return rates(ids.length - prompt, System.nanoTime() - t0, CpuTime.process() - c0);
    }

    /**
     * The same over the TPLA ranks: rank 0's sampler is called once after the prefill and once
     * after every step, so the time between its first and last call is that of the steps.
     */
    private static double[] onRanks(TplaDecoder decoder, int[] ids, int prompt) {
        int steps = ids.length - prompt;
        long[] first = new long[2];
        long[] last = new long[2];
        int[] calls = {0};
        decoder.generate(Arrays.copyOf(ids, prompt), steps + 1, ids.length, logits -> {
            long[] at = calls[0] == 0 ? first : last;
            at[0] = System.nanoTime();
            at[1] = CpuTime.process();
            return ids[Math.min(prompt + calls[0]++, ids.length - 1)];
        });
        if (calls[0] != steps + 1) throw new IllegalStateException("TPLA decoding chose " + calls[0] + " tokens, not " + (steps + 1));
        return rates(steps, last[0] - first[0], last[1] - first[1]);
    }

    private static double[] rates(int steps, long nanos, long cpuNanos) {
        return new double[] {steps / (nanos / 1e9), cpuNanos / 1e6 / steps};
    }

    private static double median(List<Double> values) {
        List<Double> s = new ArrayList<>(values);
        s.sort(null);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }
}
