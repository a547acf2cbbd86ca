package io.spindle.bench;

import io.spindle.layers.mla.LatentCache;
import io.spindle.layers.mla.LatentReduction;
import io.spindle.layers.model.TransformerLM;
import io.spindle.parallel.tpla.TplaDecoder;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Locale;

/**
 * KV-cache memory of one rank, MLA against TPLA over T ranks, at the model's whole context
 * (model.maxSeq positions, one sequence). Three figures per form, which must agree:
 * <ul>
 *   <li>{@code allocated_bytes}: what the rank's caches allocated, read from the real caches
 *       ({@code LatentCache.allocatedBytes}: for MLA after prefilling a whole context, for TPLA
 *       the largest rank's after {@link TplaDecoder} decoded until its caches held a whole
 *       context, {@code TplaDecoder.Result.cacheBytesPerRank});</li>
 *   <li>{@code jvm_bytes}: what the JVM counted as allocated on this thread while one rank's caches
 *       were started (ThreadMXBean, a second start so class loading is not counted; object headers
 *       and the generation's own small objects come on top of the arrays);</li>
 *   <li>{@code formula_bytes}: layers · context · (r/T + dr) · 4, the check.</li>
 * </ul>
 * {@code filled_bytes} is the part of the allocation that holds cached positions at the end.
 *
 * <p>Usage: {@code KvCacheBench CONF [--tp 2,4] [--set key=value]...}; prints one
 * {@code RESULT kv ...} line per form.
 */
public final class KvCacheBench {
    private static final String USAGE = "KvCacheBench CONF [--tp 2,4] [--set key=value]...";

    private KvCacheBench() {}

    public static void main(String[] args) throws Exception {
        LatentBenchModel m = LatentBenchModel.fromArgs(args, USAGE);
        int context = m.config.maxSeq();
        int layers = m.config.layers();
        System.out.printf(Locale.ROOT, "# %s model: %d MLA blocks, latent r=%d, RoPE key dr=%d, context %d positions, 1 sequence%n",
                m.config.flavor(), layers, m.latent(), m.ropeDim(), context);

        long jvm = allocatedBy(() -> m.mla.startGeneration(1, context));
        TransformerLM.Generation g = m.mla.startGeneration(1, context);
        m.mla.prefill(LatentBenchModel.tokens(context), g);
        if (g.positions() != context) throw new IllegalStateException("prefill cached " + g.positions() + " positions, not " + context);
        long formula = (long) layers * context * (m.latent() + m.ropeDim()) * Float.BYTES;
        long filled = 0;
        for (int l = 0; l < layers; l++) {
            LatentCache cache = (LatentCache) g.state(l);
            filled += (long) cache.length() * cache.floatsPerPosition() * Float.BYTES;
        }
        print("mla", 1, context, g.latentCacheBytes(), jvm, formula, filled);

        for (int ranks : m.rankCounts("2,4")) {
            TransformerLM tpla = m.tpla(ranks);
            long perRankJvm = 0;
            for (int rank = 0; rank < ranks; rank++) {
                int r = rank;
                perRankJvm = Math.max(perRankJvm, allocatedBy(() -> tpla.startLatentGeneration(1, context, ranks, r, 1,
                        LatentReduction.NONE)));
            }
            int prompt = 16;
            int[] ids = LatentBenchModel.tokens(context);
            int[] next = {prompt};
            // prompt + (tokens - 1) fed tokens = a whole context cached on every rank
            TplaDecoder.Result result = new TplaDecoder(tpla, ranks).generate(Arrays.copyOf(ids, prompt), context - prompt + 1,
                    context, logits -> ids[Math.min(next[0]++, context - 1)]);
            long rankFilled = result.cachedFloatsPerRank() * Float.BYTES;
            long rankFormula = (long) layers * context * (m.latent() / ranks + m.ropeDim()) * Float.BYTES;
            print("tpla", ranks, context, result.cacheBytesPerRank(), perRankJvm, rankFormula, rankFilled);
        }
    }

    private static void print(String form, int ranks, int context, long allocated, long jvm, long formula, long filled) {
        System.out.printf(Locale.ROOT, "RESULT kv form=%s T=%d context=%d allocated_bytes=%d jvm_bytes=%d formula_bytes=%d"
                        + " filled_bytes=%d bytes_per_token=%d%n",
                form, ranks, context, allocated, jvm, formula, filled, allocated / context);
    }

    /**
     * Bytes the JVM counts as allocated on this thread while {@code start} runs, its second time:
     * the first call also allocates for loading and initializing classes.
     */
    private static long allocatedBy(Runnable start) {
        start.run();
        long before = threadAllocated();
        start.run();
        return threadAllocated() - before;
    }

    private static long threadAllocated() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }
}
