package io.spindle.optim;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * Direct access to a dense float32 array for the optimizers' fused loops. An ND4J op costs
 * 8–70 µs to dispatch on our machines, so an update runs as one Java pass over the buffers
 * instead of a chain of ops. Element {@code i} (row-major) of {@code x} lives at
 * {@code buffer(x).get(start(x) + i)}, which also holds for views into a flat buffer.
 */
public final class ContiguousFloats {
    private ContiguousFloats() {}

    /**
     * The whole buffer behind {@code x}, after checking that {@code x} is float32 and dense in
     * row-major order; {@code what} names the array in the error message.
     */
    public static FloatBuffer buffer(INDArray x, String what) {
        requireDense(x, what);
        return x.data().asNioFloat();
    }

    /** Index of element 0 of {@code x} in {@link #buffer}; a FloatBuffer is indexed by int. */
    public static int start(INDArray x) {
        return Math.toIntExact(x.offset());
    }

    /** Number of elements as an int, the index type of a FloatBuffer. */
    public static int length(INDArray x) {
        return Math.toIntExact(x.length());
    }

    /**
     * Checks dtype and layout. Layout is judged by the strides, not {@link INDArray#ordering()}:
     * ND4J can report 'c' for a transposed view whose strides are column-major.
     */
    public static void requireDense(INDArray x, String what) {
        if (x == null) {
            throw new IllegalArgumentException(what + " is null");
        }
        if (x.dataType() != DataType.FLOAT) {
            throw new IllegalArgumentException(what + " must be float32, got " + x.dataType());
        }
        if (!isRowMajorWithoutGaps(x)) {
            throw new IllegalArgumentException(what + " must be dense row-major, got shape "
                    + Arrays.toString(x.shape()) + " with strides " + Arrays.toString(x.stride()));
        }
        if (x.offset() + x.length() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(what + " ends at element " + (x.offset() + x.length())
                    + ", beyond the 2^31-1 elements a FloatBuffer can index");
        }
    }

    /**
     * Whether element i (row-major) of x is at offset + i of its buffer, whatever its type. Judged
     * by the strides, not {@link INDArray#ordering()}: ND4J can report 'c' for a transposed view
     * whose strides are column-major.
     */
    public static boolean isRowMajorWithoutGaps(INDArray x) {
        long[] shape = x.shape();
        long[] stride = x.stride();
        long expected = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] > 1 && stride[d] != expected) return false;
            expected *= shape[d];
        }
        return true;
    }
}
