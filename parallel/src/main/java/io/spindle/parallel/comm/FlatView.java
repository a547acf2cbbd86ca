package io.spindle.parallel.comm;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * The float32 elements of a contiguous c-order array as a window {@code [offset, offset+length)}
 * (in elements) of the NIO view of its data buffer. Collectives read and write through this window
 * so that a view into a flat gradient buffer is reduced in place, without a copy; the TCP ring also
 * sends and receives float32 straight from and into it.
 *
 * @param memory the whole data buffer as little-endian bytes (ND4J's off-heap memory, native order)
 */
record FlatView(ByteBuffer memory, int offset, int length) {
    /** Largest window, in float32 elements, that one NIO buffer can address. */
    static final int MAX_ELEMENTS = Integer.MAX_VALUE / Float.BYTES;

    static FlatView of(INDArray array, String name) {
        if (array == null) throw new IllegalArgumentException(name + " is null");
        if (array.dataType() != DataType.FLOAT) {
            throw new IllegalArgumentException(name + " has data type " + array.dataType()
                    + "; collectives take FLOAT (float32) arrays");
        }
        if (array.length() > MAX_ELEMENTS) {
            throw new IllegalArgumentException(name + " has " + array.length()
                    + " elements; split it into buckets of at most " + MAX_ELEMENTS + " (2 GiB)");
        }
        if (array.length() > 1 && !isContiguousC(array)) {
            throw new IllegalArgumentException(name + " with shape " + java.util.Arrays.toString(array.shape())
                    + " and stride " + java.util.Arrays.toString(array.stride())
                    + " is not contiguous in c order; pass a contiguous view (e.g. a slice of a flat buffer) or dup('c')");
        }
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            // every platform ND4J ships native code for is little-endian; the wire format is too
            throw new IllegalStateException("collectives need a little-endian CPU; this one is " + ByteOrder.nativeOrder());
        }
        ByteBuffer memory = array.data().asNio().order(ByteOrder.LITTLE_ENDIAN);
        return new FlatView(memory, Math.toIntExact(array.offset()), (int) array.length());
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
        return bytes().asFloatBuffer();
    }

    /** The same window as little-endian bytes: byte 0 is the first byte of this view's first element. */
    ByteBuffer bytes() {
        return memory.duplicate().position(offset * Float.BYTES).limit((offset + length) * Float.BYTES).slice()
                .order(ByteOrder.LITTLE_ENDIAN);
    }
}
