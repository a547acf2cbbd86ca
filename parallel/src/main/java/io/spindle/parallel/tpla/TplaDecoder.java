package io.spindle.parallel.tpla;

import io.spindle.layers.core.Buffers;
import io.spindle.layers.mla.LatentCache;
import io.spindle.layers.mla.LatentReduction;
import io.spindle.layers.model.TransformerLM;
import io.spindle.parallel.comm.Communicator;
import io.spindle.parallel.comm.InProcessGroup;
import io.spindle.parallel.comm.ReduceOp;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * TPLA decoding (Tang et al. 2025) over T tensor-parallel ranks: threads of this JVM joined by an
 * {@link InProcessGroup} ({@link #generate}), or any T processes joined by a {@link Communicator}
 * each running {@link #decodeAsRank} (spark-jobs runs them as the tasks of a barrier stage on the
 * TCP ring). Rank t caches only latent slice t of every MLA block (1/T of the KV
 * latent), computes its slice's attention and partial output, and an all-reduce over the group sums
 * the partials (and the latent norm's sums of squares). The prompt is prefilled in the model's
 * sequence form, MLA for a converted model, as the paper does; each new token then runs in TPLA form.
 * Rank 0 samples and broadcasts each token so every rank feeds the same one.
 *
 * <p>The ranks hold full replicas of the other weights (the embedding, FFNs and head are not
 * sharded here; Megatron-style tensor parallelism of those is {@code parallel/tp}'s job).
 */
public final class TplaDecoder {
    /** Chooses the next token from rank 0's logits [1, vocab]; a negative id ends the generation. */
    @FunctionalInterface
    public interface Sampler {
        int next(INDArray logits);
    }

    /**
     * @param tokens              the sampled tokens (without the prompt)
     * @param cachedFloatsPerRank the KV-latent floats one rank held at the end, over all MLA blocks
     * @param cacheBytesPerRank   the bytes the largest rank's KV-latent caches allocated, over all MLA
     *                            blocks ({@link LatentCache#allocatedBytes}: room for model.maxSeq positions)
     */
    public record Result(int[] tokens, long cachedFloatsPerRank, long cacheBytesPerRank) {}

    private final List<TransformerLM> replicas;

    /** One model per rank, each a copy of {@code source}'s parameters. */
    public TplaDecoder(TransformerLM source, int ranks) {
        requireTplaModel(source, ranks);
        this.replicas = new ArrayList<>();
        for (int r = 0; r < ranks; r++) {
            TransformerLM replica = new TransformerLM(source.config(), 0);
            replica.parameters().values().assign(source.parameters().values());
            replicas.add(replica);
        }
    }

    public int ranks() { return replicas.size(); }

    /**
     * Continues {@code prompt} by up to {@code tokens} tokens. When a rank's caches reach
     * {@code context} positions (at most model.maxSeq), every rank starts over from the last
     * {@code context / 2} tokens, prefilled again.
     */
    public Result generate(int[] prompt, int tokens, int context, Sampler sampler) {
        int ranks = replicas.size();
        int maxSeq = replicas.get(0).config().maxSeq();
        if (prompt.length == 0) throw new IllegalArgumentException("TPLA decoding needs a prompt of at least one token");
        if (context < 2 || context > maxSeq) throw new IllegalArgumentException("context " + context + " must be in 2.." + maxSeq);
        List<Communicator> group = InProcessGroup.create(ranks);
        ExecutorService pool = Executors.newFixedThreadPool(ranks);
        try {
            List<Future<Result>> futures = new ArrayList<>();
            for (int r = 0; r < ranks; r++) {
                int rank = r;
                futures.add(pool.submit(() -> runRank(rank, group.get(rank), prompt, tokens, context, sampler)));
            }
            List<Result> results = new ArrayList<>();
            for (Future<Result> f : futures) results.add(f.get());
            long largest = results.stream().mapToLong(Result::cacheBytesPerRank).max().orElseThrow();
            Result first = results.get(0);
            return new Result(first.tokens(), first.cachedFloatsPerRank(), largest);
        } catch (ExecutionException e) {
            throw new IllegalStateException("TPLA decoding failed on a rank: " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while TPLA decoding", e);
        } finally {
            pool.shutdownNow();
            group.forEach(Communicator::close);
        }
    }

    private Result runRank(int rank, Communicator comm, int[] prompt, int tokens, int context, Sampler sampler) {
        return decodeAsRank(replicas.get(rank), comm, prompt, tokens, context, sampler);
    }

    /** Fails unless {@code model} is MLA converted for {@code ranks} TPLA shards, naming the fix. */
    public static void requireTplaModel(TransformerLM model, int ranks) {
        int shards = model.config().variant().mla().tplaShards();
        if (!model.config().variant().mla().enabled()) {
            throw new IllegalArgumentException("TPLA decoding needs an MLA model (model.attention=mla)");
        }
        if (ranks < 1 || ranks != shards) {
            throw new IllegalArgumentException("TPLA decoding over " + ranks + " ranks needs model.mla.tplaShards=" + ranks
                    + ", the model has " + shards + "; convert it with `spindle convert --to tpla --tp " + ranks + "`");
        }
    }

    /**
     * This process's part of a TPLA decoding: rank {@code comm.rank()} of {@code comm.size()}, every
     * rank with the same {@code model}, prompt and settings, and {@code sampler} called on rank 0 only
     * (its choice is broadcast). Every rank returns the same tokens; see {@link #generate}.
     */
    public static Result decodeAsRank(TransformerLM model, Communicator comm, int[] prompt, int tokens, int context,
                                      Sampler sampler) {
        int rank = comm.rank();
        int ranks = comm.size();
        requireTplaModel(model, ranks);
        int maxSeq = model.config().maxSeq();
        if (prompt.length == 0) throw new IllegalArgumentException("TPLA decoding needs a prompt of at least one token");
        if (context < 2 || context > maxSeq) throw new IllegalArgumentException("context " + context + " must be in 2.." + maxSeq);
        LatentReduction allReduce = partial -> comm.allReduce(partial, ReduceOp.SUM);
        int[] ids = Arrays.copyOf(prompt, prompt.length + tokens);
        int length = prompt.length;
        int start = Math.max(0, length - context);
        TransformerLM.Generation g = model.startLatentGeneration(1, context, ranks, rank, 1, allReduce);
        INDArray logits = model.prefill(Arrays.copyOfRange(ids, start, length), g);
        INDArray chosen = Buffers.zeros(1);
        FloatBuffer chosenBuf = Buffers.floats(chosen);
        int produced = 0;
        while (produced < tokens) {
            if (rank == 0) chosenBuf.put((int) chosen.offset(), sampler.next(logits));
            comm.broadcast(chosen, 0);
            int next = (int) chosenBuf.get((int) chosen.offset());
            if (next < 0) break;
            ids[length++] = next;
            produced++;
            if (produced == tokens) break;
            if (g.positions() == context) {
                // the caches are full: start over from the recent half, prefilled at once
                g = model.startLatentGeneration(1, context, ranks, rank, 1, allReduce);
                logits = model.prefill(Arrays.copyOfRange(ids, length - context / 2, length), g);
            } else {
                logits = model.nextLogits(new int[] {next}, g);
            }
        }
        return new Result(Arrays.copyOfRange(ids, prompt.length, length), cachedFloats(model, g), g.latentCacheBytes());
    }

    private static long cachedFloats(TransformerLM model, TransformerLM.Generation g) {
        long total = 0;
        for (int l = 0; l < model.config().layers(); l++) {
            if (g.state(l) instanceof LatentCache cache) total += (long) cache.length() * cache.floatsPerPosition();
        }
        return total;
    }
}
