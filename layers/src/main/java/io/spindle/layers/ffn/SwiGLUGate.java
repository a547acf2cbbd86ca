package io.spindle.layers.ffn;

import io.spindle.layers.core.Buffers;
import io.spindle.layers.core.Parallel;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;

/**
 * The elementwise part of a SwiGLU FFN, {@code g = silu(a) * b}, and its backward, as fused
 * loops over contiguous float32 arrays of equal length. Shared by every FFN with a SwiGLU gate
 * (the baseline {@link SwiGLU}, MatFormer's nested FFN) so the gate's math lives in one place.
 */
public final class SwiGLUGate {
    /** Elements per thread below which splitting the elementwise loops costs more than it saves. */
    private static final int MIN_CHUNK = 16_384;

    private SwiGLUGate() {}

    /**
     * gated = silu(a) * b; sigmoid(a) is written to {@code sigmoid} for {@link #backward}, since
     * exp is the dominant cost of this loop.
     */
    public static void forward(INDArray a, INDArray b, INDArray sigmoid, INDArray gated) {
        int n = requireSameLength(a, b, sigmoid, gated);
        FloatBuffer as = Buffers.floats(a);
        FloatBuffer bs = Buffers.floats(b);
        FloatBuffer ss = Buffers.floats(sigmoid);
        FloatBuffer gs = Buffers.floats(gated);
        int aOff = (int) a.offset();
        int bOff = (int) b.offset();
        int sOff = (int) sigmoid.offset();
        int gOff = (int) gated.offset();
        Parallel.forRange(n, MIN_CHUNK, (chunk, from, to) -> {
            float[][] st = Buffers.staging();
            float[] av = st[0], bv = st[1], sv = st[2], gv = st[3];
            for (int i = from; i < to; i += Buffers.STAGE) {
                int len = Math.min(Buffers.STAGE, to - i);
                as.get(aOff + i, av, 0, len);
                bs.get(bOff + i, bv, 0, len);
                for (int j = 0; j < len; j++) sv[j] = (float) (1.0 / (1.0 + Math.exp(-av[j])));
                for (int j = 0; j < len; j++) gv[j] = av[j] * sv[j] * bv[j];
                ss.put(sOff + i, sv, 0, len);
                gs.put(gOff + i, gv, 0, len);
            }
        });
    }

    /**
     * With s = sigmoid(a): d silu(a)/da = s (1 + a (1 − s)), so
     * da = dg · b · s (1 + a (1 − s)) and db = dg · a s.
     */
    public static void backward(INDArray a, INDArray b, INDArray sigmoid, INDArray dGated, INDArray da, INDArray db) {
        int n = requireSameLength(a, b, sigmoid, dGated, da, db);
        FloatBuffer as = Buffers.floats(a);
        FloatBuffer bs = Buffers.floats(b);
        FloatBuffer ss = Buffers.floats(sigmoid);
        FloatBuffer dgs = Buffers.floats(dGated);
        FloatBuffer das = Buffers.floats(da);
        FloatBuffer dbs = Buffers.floats(db);
        int aOff = (int) a.offset();
        int bOff = (int) b.offset();
        int sOff = (int) sigmoid.offset();
        int dgOff = (int) dGated.offset();
        int daOff = (int) da.offset();
        int dbOff = (int) db.offset();
        Parallel.forRange(n, MIN_CHUNK, (chunk, from, to) -> {
            float[][] st = Buffers.staging();
            float[] av = st[0], bv = st[1], sv = st[2], gv = st[3], dav = st[4], dbv = st[5];
            for (int i = from; i < to; i += Buffers.STAGE) {
                int len = Math.min(Buffers.STAGE, to - i);
                as.get(aOff + i, av, 0, len);
                bs.get(bOff + i, bv, 0, len);
                ss.get(sOff + i, sv, 0, len);
                dgs.get(dgOff + i, gv, 0, len);
                for (int j = 0; j < len; j++) {
                    float s = sv[j];
                    dav[j] = gv[j] * bv[j] * s * (1f + av[j] * (1f - s));
                    dbv[j] = gv[j] * av[j] * s;
                }
                das.put(daOff + i, dav, 0, len);
                dbs.put(dbOff + i, dbv, 0, len);
            }
        });
    }

    private static int requireSameLength(INDArray first, INDArray... rest) {
        long n = first.length();
        for (INDArray a : rest) {
            if (a.length() != n) {
                throw new IllegalArgumentException("SwiGLU gate arrays must have equal lengths, got " + n + " and "
                        + a.length());
            }
        }
        return Math.toIntExact(n);
    }
}
