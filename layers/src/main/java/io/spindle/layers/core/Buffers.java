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
    /**
     * Elementwise kernels copy blocks of this many floats into Java arrays: bulk copies plus a
     * loop over arrays vectorize, where element-by-element FloatBuffer access does not.
     */
    public static final int STAGE = 4096;
    private static final ThreadLocal<float[][]> STAGING = ThreadLocal.withInitial(() -> new float[6][STAGE]);

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

    /**
     * This thread's six staging arrays of {@link #STAGE} floats, for kernels that copy blocks in
     * with {@code FloatBuffer.get(index, dst, 0, len)}, compute on arrays and copy results out.
     */
    public static float[][] staging() {
        return STAGING.get();
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

    /**
     * out = a + b elementwise over c-order contiguous arrays of equal length (residual
     * connections); {@code out} may be {@code a} or {@code b}.
     */
    public static void add(INDArray a, INDArray b, INDArray out) {
        long n = out.length();
        if (a.length() != n || b.length() != n) {
            throw new IllegalArgumentException("add needs equal lengths, got " + a.length() + ", " + b.length()
                    + " into " + n);
        }
        FloatBuffer as = floats(a);
        FloatBuffer bs = floats(b);
        FloatBuffer os = floats(out);
        int aOff = (int) a.offset();
        int bOff = (int) b.offset();
        int oOff = (int) out.offset();
        Parallel.forRange((int) n, 65_536, (chunk, from, to) -> {
            float[][] stage = staging();
            float[] x = stage[0];
            float[] y = stage[1];
            for (int i = from; i < to; i += STAGE) {
                int len = Math.min(STAGE, to - i);
                as.get(aOff + i, x, 0, len);
                bs.get(bOff + i, y, 0, len);
                for (int j = 0; j < len; j++) x[j] += y[j];
                os.put(oOff + i, x, 0, len);
            }
        });
    }
}
