package io.spindle.layers.core;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.FloatBuffer;

/**
 * Direct access to ND4J float32 memory for fused Java kernels. An ND4J op costs 8–70 µs to
 * dispatch on this machine, so normalization, softmax, RoPE and elementwise chains run as plain
 * loops over the buffer instead (ADR 0001).
 */
public final class Buffers {
    private Buffers() {}

    /**
     * The whole data buffer behind {@code x} as a FloatBuffer; index it with
     * {@code x.offset() + i} for element i of a c-order array.
     */
    public static FloatBuffer floats(INDArray x) {
        if (x.dataType() != DataType.FLOAT) {
            throw new IllegalArgumentException("expected a float32 array, got " + x.dataType());
        }
        return x.data().asNioFloat();
    }

    /** A new zeroed c-order float32 array. */
    public static INDArray zeros(long... shape) {
        return Nd4j.zeros(DataType.FLOAT, shape);
    }

    /** Returns {@code current} if it already has {@code shape}, else a new zeroed array of that shape. */
    public static INDArray reuse(INDArray current, long... shape) {
        if (current != null && java.util.Arrays.equals(current.shape(), shape)) return current;
        return zeros(shape);
    }
}
