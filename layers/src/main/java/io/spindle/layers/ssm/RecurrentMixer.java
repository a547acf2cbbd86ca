package io.spindle.layers.ssm;

import io.spindle.layers.core.Buffers;
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

    /**
     * Feeds a whole prompt, x: [batch*seq, dModel] (sequence-major), into {@code state} and
     * returns the outputs at every position, a new array. By default one {@link #step} per
     * position; a mixer with a faster sequence form overrides it (MLA runs its full forward and
     * caches the latents).
     */
    default INDArray prefill(INDArray x, int batch, int seq, State state) {
        long width = x.size(1);
        INDArray y = Buffers.zeros((long) batch * seq, width);
        for (int t = 0; t < seq; t++) {
            INDArray rows = Buffers.zeros(batch, width);
            for (int b = 0; b < batch; b++) rows.putRow(b, x.getRow((long) b * seq + t));
            INDArray out = step(rows, state);
            for (int b = 0; b < batch; b++) y.putRow((long) b * seq + t, out.getRow(b));
        }
        return y;
    }
}
