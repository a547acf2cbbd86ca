package io.spindle.optim.schedule;

/** The same learning rate at every step. */
public record Constant(double lr) implements LearningRateSchedule {
    public Constant {
        if (!(lr > 0 && Double.isFinite(lr))) {
            throw new IllegalArgumentException("constant learning rate lr=" + lr + " must be positive and finite");
        }
    }

    @Override
    public double lr(long step) {
        LearningRateSchedule.requireStep(step);
        return lr;
    }
}
