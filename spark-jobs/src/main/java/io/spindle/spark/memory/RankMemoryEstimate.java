package io.spindle.spark.memory;

import io.spindle.layers.model.ModelConfig;
import io.spindle.optim.state.StateFormat;
import io.spindle.spark.config.SpindleConfig;

import java.util.Locale;

/**
 * What one training rank holds outside the Java heap — ND4J buffers allocated through JavaCPP —
 * estimated from the config before anything runs, so that a rank that cannot fit is refused with
 * the setting to raise instead of being killed by the cluster manager halfway through a run.
 *
 * <p>The parts: parameters and gradients (float32 flat buffers), optimizer state at its largest
 * per-parameter size for the chosen {@code optim.state} (with {@code optim.offload} the window of
 * {@code memoryBudget} bytes instead: state and master weights stay on disk), and the activations a step keeps for its
 * backward pass and their gradients (per block and token about 20 model-width and 6 FFN-width
 * vectors, plus two T×T score matrices per head and sequence; then logits and their gradient),
 * with {@link #WORKSPACE_FACTOR} for the transient buffers of one operation. The coefficients were
 * fitted to what a training step of {@code tiny} really allocates: {@code RankMemoryEstimateTest}
 * measures the process's resident memory over two steps and checks that the estimate covers it
 * without exceeding it four times over. It is an estimate for refusing runs that cannot fit, not
 * an exact account.
 */
public record RankMemoryEstimate(long parameterBytes, long gradientBytes, long optimizerStateBytes, long activationBytes) {
    /** Transient buffers of one operation (matmul outputs before they are stored, softmax rows). */
    static final double WORKSPACE_FACTOR = 1.25;

    public static RankMemoryEstimate of(SpindleConfig config) {
        ModelConfig m = config.model();
        // tensor parallelism splits every matrix over parallel.tp ranks; activations are counted whole (an upper bound)
        long params = m.parameterCount() / Math.max(1, config.parallel().tp());
        long perRankBatch = Math.max(1, config.train().batch() / Math.max(1, config.parallel().dp()));
        long state = config.optim().offload().enabled() ? config.optim().offload().memoryBudget()
                : optimizerStateBytesPerParameter(config) * params;
        return new RankMemoryEstimate(4 * params, 4 * params, state, activationBytes(m, perRankBatch, config.train().seq()));
    }

    /** Dense AdamW/LAMB keep two float32 moments (the Muon family at most that); COAT one FP8 byte each plus per group a float32 max and a 16-bit k. */
    static long optimizerStateBytesPerParameter(SpindleConfig config) {
        StateFormat format = config.optim().stateFormat();
        if (format.kind() == StateFormat.Kind.COAT) return (long) Math.ceil(2 * (1 + 6.0 / format.groupSize()));
        return 8;
    }

    static long activationBytes(ModelConfig m, long batch, int seq) {
        long tokens = batch * seq;
        long perBlock = tokens * (20L * m.dModel() + 6L * m.ffnHidden()) + 2 * batch * m.heads() * (long) seq * seq;
        long head = 2 * tokens * m.vocabSize();
        return (long) (WORKSPACE_FACTOR * 4 * (m.layers() * perBlock + head));
    }

    public long total() {
        return parameterBytes + gradientBytes + optimizerStateBytes + activationBytes;
    }

    /** e.g. "1.2 GiB (parameters 41 MiB, gradients 41 MiB, optimizer state 83 MiB, activations 1.0 GiB)". */
    public String describe() {
        return String.format(Locale.ROOT, "%s (parameters %s, gradients %s, optimizer state %s, activations %s)",
                bytes(total()), bytes(parameterBytes), bytes(gradientBytes), bytes(optimizerStateBytes),
                bytes(activationBytes));
    }

    static String bytes(long b) {
        if (b >= 1L << 30) return String.format(Locale.ROOT, "%.1f GiB", b / (double) (1L << 30));
        return String.format(Locale.ROOT, "%d MiB", (b + (1L << 20) - 1) >> 20);
    }
}
