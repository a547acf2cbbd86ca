package io.spindle.bench;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.Adam;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Adam that records the shapes of the gradients DL4J hands its updater, to check what a
 * Spindle optimizer plugged in as a DL4J {@code IUpdater} would see (Muon needs 2-D matrices).
 */
final class ShapeRecordingAdam extends Adam {
    private static final Set<String> SEEN = Collections.synchronizedSet(new LinkedHashSet<>());

    ShapeRecordingAdam(double lr) {
        super(lr, 0.9, 0.95, 1e-8);
    }

    static Set<String> seenShapes() {
        synchronized (SEEN) {
            return new LinkedHashSet<>(SEEN);
        }
    }

    @Override
    public GradientUpdater instantiate(INDArray viewArray, boolean initializeViewArray) {
        return wrap(super.instantiate(viewArray, initializeViewArray));
    }

    @Override
    public GradientUpdater instantiate(Map<String, INDArray> updaterState, boolean initializeStateArrays) {
        return wrap(super.instantiate(updaterState, initializeStateArrays));
    }

    @Override
    public ShapeRecordingAdam clone() {
        return new ShapeRecordingAdam(getLearningRate());
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private GradientUpdater wrap(GradientUpdater inner) {
        return new GradientUpdater() {
            @Override
            public Adam getConfig() { return ShapeRecordingAdam.this; }

            @Override
            public void setState(Map state, boolean initialize) { inner.setState(state, initialize); }

            @Override
            public Map getState() { return inner.getState(); }

            @Override
            public void setStateViewArray(INDArray view, long[] gradientShape, char order, boolean initialize) {
                inner.setStateViewArray(view, gradientShape, order, initialize);
            }

            @Override
            public void applyUpdater(INDArray gradient, int iteration, int epoch) {
                SEEN.add(Arrays.toString(gradient.shape()));
                inner.applyUpdater(gradient, iteration, epoch);
            }
        };
    }
}
