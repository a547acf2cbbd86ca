package io.spindle.parallel.train;

import io.spindle.optim.schedule.LearningRateSchedule;
import io.spindle.optim.schedule.WarmupCosine;

/**
 * How one run trains: steps, batch geometry, AdamW hyperparameters, schedule, clipping, and how
 * often to validate and checkpoint. Config keys are {@code train.<field>}. Validated here so a bad
 * value fails before any Spark work starts, with the key and the fix in the message.
 *
 * @param batch global batch in sequences (split evenly over data-parallel ranks)
 */
public record TrainingConfig(int steps, int batch, int seq, double lr, double minLr, int warmupSteps,
                             double weightDecay, double beta1, double beta2, double eps, double gradClip,
                             int evalEvery, int evalBatches, int checkpointEvery, int keepCheckpoints,
                             int logEvery, long seed, NonFinitePolicy onNonFinite) {
    public TrainingConfig {
        positive("train.steps", steps);
        positive("train.batch", batch);
        positive("train.seq", seq);
        if (!(lr > 0) || !Double.isFinite(lr)) {
            throw new IllegalArgumentException("train.lr=" + lr + " must be a positive number, e.g. 3e-3");
        }
        if (!(minLr >= 0) || minLr > lr) {
            throw new IllegalArgumentException("train.minLr=" + minLr + " must be between 0 and train.lr=" + lr);
        }
        if (warmupSteps < 0 || warmupSteps > steps) {
            throw new IllegalArgumentException("train.warmupSteps=" + warmupSteps + " must be between 0 and train.steps="
                    + steps);
        }
        if (weightDecay < 0) {
            throw new IllegalArgumentException("train.weightDecay=" + weightDecay + " must be >= 0 (0 disables it)");
        }
        unitInterval("train.beta1", beta1);
        unitInterval("train.beta2", beta2);
        if (!(eps > 0)) throw new IllegalArgumentException("train.eps=" + eps + " must be > 0, e.g. 1e-8");
        if (gradClip < 0) {
            throw new IllegalArgumentException("train.gradClip=" + gradClip + " must be >= 0 (0 disables clipping)");
        }
        positive("train.evalEvery", evalEvery);
        positive("train.evalBatches", evalBatches);
        positive("train.checkpointEvery", checkpointEvery);
        positive("train.keepCheckpoints", keepCheckpoints);
        positive("train.logEvery", logEvery);
        if (onNonFinite == null) onNonFinite = NonFinitePolicy.STOP;
    }

    /** The run's learning rate: linear warmup over warmupSteps to lr, then cosine decay to minLr at steps. */
    public LearningRateSchedule schedule() {
        return schedule(lr, warmupSteps, minLr);
    }

    /**
     * The run's schedule shape with another peak, warmup and floor, ending at the same step: a
     * parameter group's own schedule ({@code optim.matrixWarmupSteps}, {@code optim.matrixFinalLrFraction}).
     */
    public LearningRateSchedule schedule(double peakLr, int warmup, double finalLr) {
        return new WarmupCosine(peakLr, warmup, steps, finalLr);
    }

    /** Tokens consumed by one optimizer step over all ranks. */
    public long tokensPerStep() {
        return (long) batch * seq;
    }

    private static void positive(String key, int value) {
        if (value <= 0) throw new IllegalArgumentException(key + "=" + value + " must be a positive integer");
    }

    private static void unitInterval(String key, double value) {
        if (!(value >= 0 && value < 1)) {
            throw new IllegalArgumentException(key + "=" + value + " must be in [0, 1), e.g. 0.9");
        }
    }
}
