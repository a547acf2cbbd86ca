package io.spindle.parallel.comm;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;

/**
 * The float32 elements of a contiguous c-order array as a window {@code [offset, offset+length)} of
 * the NIO view of its data buffer. Collectives read and write through this window so that a view
 * into a flat gradient buffer is reduced in place, without a copy.
 */
record FlatView(FloatBuffer buffer, int offset, int length) {

    static FlatView of(INDArray array, String name) {
        if (array == null) throw new IllegalArgumentException(name + " is null");
        if (array.dataType() != DataType.FLOAT) {
            throw new IllegalArgumentException(name + " has data type " + array.dataType()
                    + "; collectives take FLOAT (float32) arrays");
        }
        if (array.length() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(name + " has " + array.length()
                    + " elements; split it into buckets of at most " + Integer.MAX_VALUE);
        }
        if (array.length() > 1 && !isContiguousC(array)) {
            throw new IllegalArgumentException(name + " with shape " + java.util.Arrays.toString(array.shape())
                    + " and stride " + java.util.Arrays.toString(array.stride())
                    + " is not contiguous in c order; pass a contiguous view (e.g. a slice of a flat buffer) or dup('c')");
        }
        return new FlatView(array.data().asNioFloat(), Math.toIntExact(array.offset()), (int) array.length());
    }

    private static boolean isContiguousC(INDArray array) {
        long[] shape = array.shape();
        long[] stride = array.stride();
        long expected = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            // a dimension of extent 1 may carry any stride without breaking contiguity
            if (shape[d] != 1 && stride[d] != expected) return false;
            expected *= shape[d];
        }
        return true;
    }

    /** A buffer whose index 0 is this view's first element, for bulk copies. */
    FloatBuffer window() {
        return buffer.duplicate().position(offset).limit(offset + length).slice();
    }
}
