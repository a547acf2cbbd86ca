package io.spindle.optim.routing;

import io.spindle.optim.schedule.LearningRateSchedule;

/**
 * How a {@link ParameterGroup} gets its learning rate at a training step: the run's schedule times a
 * factor (the Muon reference's setup: one schedule, a larger peak for the hidden matrices), or a
 * schedule of its own, so a group can warm up for another number of steps or decay to another floor
 * (PyTorch's per-group {@code lr} with a scheduler per group).
 */
public sealed interface GroupLearningRate {

    /** The group's learning rate at training step {@code step} (from 1), where the run's schedule gave {@code runLr}. */
    double at(long step, double runLr);

    /** The run's learning rate times {@code factor}. */
    static GroupLearningRate scaled(double factor) {
        return new Scaled(factor);
    }

    /** {@code schedule}'s rate at each step, whatever the run's schedule gives. */
    static GroupLearningRate own(LearningRateSchedule schedule) {
        return new Own(schedule);
    }

    /** The run's rate times {@code factor}, computed as {@code runLr * factor} so a factor of 1 passes it unchanged. */
    record Scaled(double factor) implements GroupLearningRate {
        public Scaled {
            if (!(factor >= 0 && Double.isFinite(factor))) {
                throw new IllegalArgumentException("a parameter group's learning-rate factor " + factor
                        + " must be >= 0 and finite");
            }
        }

        @Override
        public double at(long step, double runLr) {
            return runLr * factor;
        }

        @Override
        public String toString() {
            return "lr x" + factor;
        }
    }

    /** A schedule of the group's own, read at the run's step so it stays in step with the run's schedule. */
    record Own(LearningRateSchedule schedule) implements GroupLearningRate {
        public Own {
            if (schedule == null) {
                throw new IllegalArgumentException("a parameter group's own learning-rate schedule is missing");
            }
        }

        @Override
        public double at(long step, double runLr) {
            return schedule.lr(step);
        }

        @Override
        public String toString() {
            return "own schedule " + schedule;
        }
    }
}
