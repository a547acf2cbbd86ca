package io.spindle.bench;

import io.spindle.layers.core.ParameterSet;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A piece of the baseline LM built from Spindle's layers (hand-written forward and backward),
 * which candidate (b) wraps as a DL4J layer. Rows are positions, batch-major, as in the layers.
 */
interface HandWrittenModule {
    /** The module's own parameters, allocated. */
    ParameterSet parameters();

    /** x: [batch*seq, dModel] → y: [batch*seq, dModel], owned by the module. */
    INDArray forward(INDArray x, int batch, int seq);

    /** dy → dx for the last forward; adds parameter gradients into {@link #parameters()}' grads. */
    INDArray backward(INDArray dy);
}
