package io.spindle.layers.core;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A position-wise layer (SwiGLU, MatFormer FFN, GR-KAN FFN, and the norms). Same ownership rules as
 * {@link SequenceMixer}: outputs belong to the layer; backward accumulates parameter gradients.
 */
public interface FeedForward {
    /** x: [rows, dModel] → y: [rows, dModel]. */
    INDArray forward(INDArray x);

    /** dy: [rows, dModel] for the last forward → dx: [rows, dModel]. */
    INDArray backward(INDArray dy);
}
