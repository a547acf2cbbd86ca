package io.spindle.layers.core;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A layer that mixes information across positions of a sequence (attention, state-space layers).
 * Rows of {@code x} are positions, {@code batch} sequences of {@code seq} positions each, in
 * batch-major order. The returned arrays are owned by the layer and valid until its next call.
 * {@link #backward} adds parameter gradients into the parameters' gradient views.
 */
public interface SequenceMixer {
    /** x: [batch*seq, dModel] → y: [batch*seq, dModel]. */
    INDArray forward(INDArray x, int batch, int seq);

    /** dy: [batch*seq, dModel] for the last forward → dx: [batch*seq, dModel]. */
    INDArray backward(INDArray dy);
}
