package io.spindle.layers.mla;

import io.spindle.layers.core.Buffers;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Rows of sequence-major activations [batch*seq, width] at some positions, as a new [batch*count, width] array. */
final class INDArrayRows {
    private INDArrayRows() {}

    static INDArray positions(INDArray x, int batch, int seq, int from, int count) {
        INDArray out = Buffers.zeros((long) batch * count, x.size(1));
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < count; t++) out.putRow((long) b * count + t, x.getRow((long) b * seq + from + t));
        }
        return out;
    }
}
