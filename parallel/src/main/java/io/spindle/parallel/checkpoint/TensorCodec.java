package io.spindle.parallel.checkpoint;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;

/**
 * Tensors to and from little-endian bytes, independent of ND4J's own serialization: float32 for
 * parameters and optimizer moments, int64 for counters such as an optimizer's step, int8 for
 * compressed optimizer state (COAT's FP8 codes), stored as the bytes they are.
 */
final class TensorCodec {
    static final String FLOAT32 = "float32";
    static final String INT64 = "int64";
    static final String INT8 = "int8";

    private TensorCodec() {}

    static String dtypeName(INDArray tensor) {
        return dtypeName(tensor.dataType());
    }

    static String dtypeName(DataType type) {
        return switch (type) {
            case FLOAT -> FLOAT32;
            case LONG -> INT64;
            case BYTE -> INT8;
            default -> throw new IllegalArgumentException("checkpoints store float32, int64 and int8 tensors, got "
                    + type);
        };
    }

    /** The ND4J type of a checkpoint dtype name; null when there is none. */
    static DataType dataType(String dtype) {
        return switch (dtype) {
            case FLOAT32 -> DataType.FLOAT;
            case INT64 -> DataType.LONG;
            case INT8 -> DataType.BYTE;
            default -> null;
        };
    }

    static int elementBytes(String dtype) {
        return switch (dtype) {
            case FLOAT32 -> Float.BYTES;
            case INT64 -> Long.BYTES;
            case INT8 -> 1;
            default -> -1;
        };
    }

    static byte[] toBytes(INDArray tensor) {
        String dtype = dtypeName(tensor);
        // dup('c') only when the view is not one contiguous run (flat-buffer views always are).
        INDArray dense = isContiguous(tensor) ? tensor : tensor.dup('c');
        int n = Math.toIntExact(dense.length());
        int offset = Math.toIntExact(dense.offset());
        ByteBuffer out = ByteBuffer.allocate(n * elementBytes(dtype)).order(ByteOrder.LITTLE_ENDIAN);
        if (dtype.equals(FLOAT32)) {
            FloatBuffer src = dense.data().asNioFloat();
            FloatBuffer dst = out.asFloatBuffer();
            for (int i = 0; i < n; i++) dst.put(i, src.get(offset + i));
        } else if (dtype.equals(INT8)) {
            ByteBuffer src = dense.data().asNio();
            for (int i = 0; i < n; i++) out.put(i, src.get(offset + i));
        } else {
            LongBuffer src = dense.data().asNioLong();
            LongBuffer dst = out.asLongBuffer();
            for (int i = 0; i < n; i++) dst.put(i, src.get(offset + i));
        }
        return out.array();
    }

    static INDArray fromBytes(byte[] bytes, String dtype, long[] shape) {
        ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (dtype.equals(FLOAT32)) {
            FloatBuffer src = in.asFloatBuffer();
            INDArray out = Nd4j.zeros(DataType.FLOAT, shape);
            FloatBuffer dst = out.data().asNioFloat();
            for (int i = 0; i < src.capacity(); i++) dst.put(i, src.get(i));
            return out;
        }
        if (dtype.equals(INT8)) {
            INDArray out = Nd4j.zeros(DataType.BYTE, shape);
            ByteBuffer dst = out.data().asNio();
            for (int i = 0; i < bytes.length; i++) dst.put(i, bytes[i]);
            return out;
        }
        LongBuffer src = in.asLongBuffer();
        INDArray out = Nd4j.zeros(DataType.LONG, shape);
        LongBuffer dst = out.data().asNioLong();
        for (int i = 0; i < src.capacity(); i++) dst.put(i, src.get(i));
        return out;
    }

    /** True when the array's elements are one run of memory in c order, as flat-buffer views are. */
    private static boolean isContiguous(INDArray x) {
        if (x.ordering() != 'c' && x.rank() > 1) return false;
        long expected = 1;
        for (int d = x.rank() - 1; d >= 0; d--) {
            if (x.size(d) != 1 && x.stride(d) != expected) return false;
            expected *= x.size(d);
        }
        return true;
    }
}
