package io.spindle.layers.ffn;

import io.spindle.layers.core.Buffers;
import io.spindle.layers.core.FeedForward;
import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.Parallel;
import io.spindle.layers.core.ParameterRole;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.linear.Linear;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;

/**
 * SwiGLU feed-forward (Shazeer 2020, eq. 6 with Swish_1 = SiLU), no biases:
 * {@code y = w2( silu(w1 x) * (w3 x) )}, w1 and w3 [hidden, dModel], w2 [dModel, hidden].
 */
public final class SwiGLU implements FeedForward {
    /** Elements per thread below which splitting the elementwise loops costs more than it saves. */
    private static final int MIN_CHUNK = 16_384;

    private final int hidden;
    private final Linear w1;
    private final Linear w2;
    private final Linear w3;
    private INDArray a;
    private INDArray b;
    private INDArray sigmoid;
    private INDArray gated;
    private INDArray da;
    private INDArray db;
    private INDArray dx;

    /** Registers {@code prefix.w1|w2|w3} (role MATRIX); w2, the output projection, from {@code outputInit}. */
    public SwiGLU(ParameterSet params, String prefix, int dModel, int hidden, Initializer init, Initializer outputInit) {
        this.hidden = hidden;
        this.w1 = new Linear(params, prefix + ".w1", dModel, hidden, ParameterRole.MATRIX, init);
        this.w2 = new Linear(params, prefix + ".w2", hidden, dModel, ParameterRole.MATRIX, outputInit);
        this.w3 = new Linear(params, prefix + ".w3", dModel, hidden, ParameterRole.MATRIX, init);
    }

    @Override
    public INDArray forward(INDArray x) {
        // x: [rows, dModel]; a = x w1^T, b = x w3^T: [rows, hidden]
        a = w1.forward(x);
        b = w3.forward(x);
        int n = (int) (a.size(0) * hidden);
        gated = Buffers.reuse(gated, a.size(0), hidden);
        // sigmoid(a) is kept for backward: exp is the dominant cost of this loop
        sigmoid = Buffers.reuse(sigmoid, a.size(0), hidden);
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
        return w2.forward(gated);
    }

    /**
     * With s = sigmoid(a): d silu(a)/da = s (1 + a (1 − s)), so
     * da = dg · b · s (1 + a (1 − s)) and db = dg · a s.
     */
    @Override
    public INDArray backward(INDArray dy) {
        if (gated == null) throw new IllegalStateException("SwiGLU backward() before forward()");
        INDArray dg = w2.backward(dy);
        long rows = dg.size(0);
        int n = (int) (rows * hidden);
        da = Buffers.reuse(da, rows, hidden);
        db = Buffers.reuse(db, rows, hidden);
        FloatBuffer as = Buffers.floats(a);
        FloatBuffer bs = Buffers.floats(b);
        FloatBuffer ss = Buffers.floats(sigmoid);
        FloatBuffer dgs = Buffers.floats(dg);
        FloatBuffer das = Buffers.floats(da);
        FloatBuffer dbs = Buffers.floats(db);
        int aOff = (int) a.offset();
        int bOff = (int) b.offset();
        int sOff = (int) sigmoid.offset();
        int dgOff = (int) dg.offset();
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
        dx = Buffers.reuse(dx, rows, w1.in());
        w1.backward(da, dx, false);
        w3.backward(db, dx, true);
        return dx;
    }
}
