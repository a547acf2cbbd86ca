package io.spindle.data.sampling;

import java.io.Serializable;

/**
 * Where a {@link BatchSampler} will draw its next batch: window {@code windowIndex} of epoch
 * {@code epoch}'s order. It counts global windows, so it is the same on every data-parallel rank
 * and one value in a checkpoint resumes all of them.
 */
public record SamplerPosition(long epoch, long windowIndex) implements Serializable {
    public static final SamplerPosition START = new SamplerPosition(0, 0);

    public SamplerPosition {
        if (epoch < 0 || windowIndex < 0) {
            throw new IllegalArgumentException("sampler position (epoch=" + epoch + ", windowIndex=" + windowIndex
                    + ") is negative");
        }
    }
}
