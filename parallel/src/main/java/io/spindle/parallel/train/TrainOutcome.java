package io.spindle.parallel.train;

/**
 * How a rank's run ended.
 *
 * @param completed       true when every configured step was taken
 * @param lastStep        the last step taken
 * @param lastCheckpoint  step of the newest complete checkpoint, or -1
 * @param finalValLoss    validation loss (nats/token) at the end, NaN if not measured
 * @param skippedSteps    steps skipped under {@link NonFinitePolicy#SKIP}
 * @param message         why the run stopped early, or "completed"
 */
public record TrainOutcome(boolean completed, long lastStep, long lastCheckpoint, double finalValLoss,
                           long skippedSteps, String message) implements java.io.Serializable {
}
