package io.spindle.layers.ssm;

import io.spindle.layers.core.SequenceMixer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A sequence mixer that can also run one token at a time from a state that summarizes the
 * prefix, so generation costs O(1) per token instead of re-running the whole sequence. The step
 * gives the same outputs as {@link #forward} at the same positions.
 */
public interface RecurrentMixer extends SequenceMixer {
    /** What a mixer carries from one token to the next, per sequence. */
    interface State {
        /** Number of sequences this state advances together. */
        int batch();
    }

    /** A fresh state (an empty prefix) for {@code batch} sequences, from the current parameters. */
    State start(int batch);

    /** x: [batch, dModel], one new token per sequence → y: [batch, dModel], owned by the layer; advances state. */
    INDArray step(INDArray x, State state);
}
