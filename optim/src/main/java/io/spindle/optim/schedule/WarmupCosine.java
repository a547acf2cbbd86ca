package io.spindle.optim.schedule;

/**
 * Linear warmup from 0 to {@code peakLr} over {@code warmupSteps} (step 1 gets
 * {@code peakLr / warmupSteps}, step {@code warmupSteps} gets {@code peakLr}), then half a cosine
 * from {@code peakLr} down to {@code minLr}, reached at {@code totalSteps} and kept after it
 * (Loshchilov &amp; Hutter, SGDR, without restarts). Warmup keeps the first Adam steps, whose
 * second-moment estimates rest on a handful of gradients, from taking full-size steps.
 */
public record WarmupCosine(double peakLr, long warmupSteps, long totalSteps, double minLr)
        implements LearningRateSchedule {

    public WarmupCosine {
        if (!(peakLr > 0 && Double.isFinite(peakLr))) {
            throw new IllegalArgumentException("warmup-cosine peakLr=" + peakLr + " must be positive and finite");
        }
        if (!(minLr >= 0 && minLr <= peakLr)) {
            throw new IllegalArgumentException("warmup-cosine minLr=" + minLr + " must be in [0, peakLr=" + peakLr + "]");
        }
        if (warmupSteps < 0) {
            throw new IllegalArgumentException("warmup-cosine warmupSteps=" + warmupSteps + " must be >= 0");
        }
        if (totalSteps < 1 || totalSteps < warmupSteps) {
            throw new IllegalArgumentException("warmup-cosine totalSteps=" + totalSteps
                    + " must be >= 1 and >= warmupSteps=" + warmupSteps);
        }
    }

    @Override
    public double lr(long step) {
        LearningRateSchedule.requireStep(step);
        if (step <= warmupSteps) {
            return peakLr * step / warmupSteps;
        }
        if (step >= totalSteps) {
            return minLr;
        }
        double progress = (double) (step - warmupSteps) / (totalSteps - warmupSteps);
        return minLr + 0.5 * (peakLr - minLr) * (1.0 + Math.cos(Math.PI * progress));
    }
}
