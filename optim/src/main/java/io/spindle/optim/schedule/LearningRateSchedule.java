package io.spindle.optim.schedule;

/** The learning rate as a function of the optimizer step, which counts from 1. */
public sealed interface LearningRateSchedule permits Constant, WarmupCosine {

    /** The learning rate for step {@code step} (from 1). */
    double lr(long step);

    /** Rejects step numbers below 1, the first step an optimizer takes. */
    static void requireStep(long step) {
        if (step < 1) {
            throw new IllegalArgumentException("learning-rate schedules count steps from 1, got step " + step);
        }
    }
}
