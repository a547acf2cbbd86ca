package io.spindle.layers.ssm;

import io.spindle.layers.core.Buffers;
import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.Parameter;
import io.spindle.layers.core.ParameterRole;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.linear.Linear;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.nio.FloatBuffer;

import static io.spindle.layers.ssm.ParameterArrays.addToGrad;
import static io.spindle.layers.ssm.ParameterArrays.values;

/**
 * The Mamba block (Gu &amp; Dao 2023, Fig. 3; the reference's {@code Mamba.forward} slow path):
 * <pre>
 *   (x, z) = in_proj(h)                                  [rows, 2·dInner], no bias
 *   x = silu(causal depthwise conv(x) + conv_b)          width dConv, left zero padding
 *   (dt, B, C) = x_proj(x)                               [rows, dtRank + 2·dState], no bias
 *   delta = dt_proj(dt)                                  its bias is the scan's delta_bias
 *   y = selective_scan(x, delta, A = −exp(A_log), B, C, D, z, delta_bias)
 *   out = out_proj(y)                                    [rows, dModel], no bias
 * </pre>
 * Parameters under the prefix: {@code in_proj}, {@code x_proj}, {@code dt_proj}, {@code out_proj}
 * (MATRIX); {@code conv_w [dInner, dConv]}, {@code A_log [dInner, dState]}, {@code D [dInner]}
 * (VECTOR: no Muon, no weight decay, as the reference exempts A_log and D); {@code conv_b},
 * {@code dt_bias} (BIAS). Initialization as the reference: A_log = log(1 … dState) per channel
 * (S4D-real), D = 1, dt_bias = softplus⁻¹ of steps log-uniform in [0.001, 0.1], dt_proj uniform
 * ±dtRank^−½, the convolution uniform ±dConv^−½.
 *
 * <p>Generation: {@link #start} and {@link #step} keep per sequence the last dConv−1 inputs of
 * the convolution and the scan state, O(1) per token; convolution and scan run the same float
 * operations as in training.
 */
public final class MambaMixer implements RecurrentMixer {
    /** The reference's default sizes for a given model width. */
    public record Shape(int dModel, int dInner, int dState, int dConv, int dtRank) {
        public Shape {
            if (dModel <= 0 || dInner <= 0 || dState <= 0 || dConv <= 0 || dtRank <= 0) {
                throw new IllegalArgumentException("Mamba sizes must be positive: dModel=" + dModel + " dInner=" + dInner
                        + " dState=" + dState + " dConv=" + dConv + " dtRank=" + dtRank);
            }
        }

        /** expand 2, dState 16, dConv 4, dtRank ⌈dModel/16⌉ (Mamba's defaults). */
        public static Shape standard(int dModel) {
            return new Shape(dModel, 2 * dModel, 16, 4, (dModel + 15) / 16);
        }
    }

    private final Shape shape;
    private final int dInner;
    private final int xWidth;
    private final Linear inProj;
    private final Parameter convW;
    private final Parameter convB;
    private final Linear xProj;
    private final Linear dtProj;
    private final Parameter dtBias;
    private final Parameter aLog;
    private final Parameter skip;
    private final Linear outProj;
    private final CausalDepthwiseConv conv;
    private final SelectiveScan scan;
    private int batch;
    private int seq;
    private float[] xz;
    private float[] convPre;
    private float[] xdbl;
    private float[] a;
    private INDArray xc;
    private INDArray y;
    private INDArray dDelta;
    private INDArray dXdbl;
    private INDArray dXz;

    public MambaMixer(ParameterSet params, String prefix, Shape shape, Initializer init, Initializer outputInit) {
        this.shape = shape;
        this.dInner = shape.dInner();
        int n = shape.dState(), r = shape.dtRank();
        this.xWidth = r + 2 * n;
        this.inProj = new Linear(params, prefix + ".in_proj", shape.dModel(), 2 * dInner, ParameterRole.MATRIX, init);
        double convBound = 1 / Math.sqrt(shape.dConv());
        this.convW = params.add(prefix + ".conv_w", new long[] {dInner, shape.dConv()}, ParameterRole.VECTOR, uniform(convBound));
        this.convB = params.add(prefix + ".conv_b", new long[] {dInner}, ParameterRole.BIAS, uniform(convBound));
        this.xProj = new Linear(params, prefix + ".x_proj", dInner, xWidth, ParameterRole.MATRIX, init);
        this.dtProj = new Linear(params, prefix + ".dt_proj", r, dInner, ParameterRole.MATRIX, uniform(1 / Math.sqrt(r)));
        this.dtBias = params.add(prefix + ".dt_bias", new long[] {dInner}, ParameterRole.BIAS, (v, s, random) -> {
            double lo = Math.log(0.001), hi = Math.log(0.1);
            for (int i = 0; i < v.length; i++) {
                double dt = Math.max(1e-4, Math.exp(lo + random.nextDouble() * (hi - lo)));
                v[i] = (float) (dt + Math.log(-Math.expm1(-dt))); // softplus⁻¹(dt)
            }
        });
        this.aLog = params.add(prefix + ".A_log", new long[] {dInner, n}, ParameterRole.VECTOR,
                (v, s, random) -> { for (int i = 0; i < v.length; i++) v[i] = (float) Math.log(i % n + 1); });
        this.skip = params.add(prefix + ".D", new long[] {dInner}, ParameterRole.VECTOR, Initializer.constant(1f));
        this.outProj = new Linear(params, prefix + ".out_proj", dInner, shape.dModel(), ParameterRole.MATRIX, outputInit);
        this.conv = new CausalDepthwiseConv(dInner, shape.dConv());
        this.scan = new SelectiveScan(dInner, n);
    }

    public Shape shape() { return shape; }

    @Override
    public INDArray forward(INDArray x, int batch, int seq) {
        if (x.rank() != 2 || x.size(0) != (long) batch * seq || x.size(1) != shape.dModel()) {
            throw new IllegalArgumentException("Mamba input must be [batch*seq, dModel] = [" + batch + "*" + seq + ", "
                    + shape.dModel() + "], got " + java.util.Arrays.toString(x.shape()));
        }
        this.batch = batch;
        this.seq = seq;
        int rows = batch * seq;
        xz = copy(inProj.forward(x), xz);
        convPre = reuse(convPre, rows * dInner);
        float[] xcF = new float[rows * dInner];
        conv.forward(new SelectiveScan.Rows(xz, 0, 2 * dInner), values(convW), values(convB), batch, seq, convPre, xcF);
        xc = Buffers.reuse(xc, rows, dInner);
        put(xcF, xc);
        INDArray xdblArr = xProj.forward(xc);
        xdbl = copy(xdblArr, xdbl);
        INDArray dt = xdblArr.get(NDArrayIndex.all(), NDArrayIndex.interval(0, shape.dtRank()));
        float[] delta = copy(dtProj.forward(dt), null);
        a = negExp(values(aLog));
        float[] out = new float[rows * dInner];
        int r = shape.dtRank(), n = shape.dState();
        scan.forward(SelectiveScan.Rows.of(xcF, dInner), SelectiveScan.Rows.of(delta, dInner),
                new SelectiveScan.Rows(xz, dInner, 2 * dInner), new SelectiveScan.Rows(xdbl, r, xWidth),
                new SelectiveScan.Rows(xdbl, r + n, xWidth), a, values(skip), values(dtBias), batch, seq, out);
        y = Buffers.reuse(y, rows, dInner);
        put(out, y);
        return outProj.forward(y);
    }

    @Override
    public INDArray backward(INDArray dOut) {
        if (xz == null) throw new IllegalStateException("Mamba backward() before forward()");
        int rows = batch * seq, r = shape.dtRank(), n = shape.dState();
        float[] dy = copy(outProj.backward(dOut), null);
        float[] dxc = new float[rows * dInner];
        float[] dDeltaF = new float[rows * dInner];
        float[] dXzF = new float[rows * 2 * dInner];
        float[] dXdblF = new float[rows * xWidth];
        float[] dA = new float[dInner * n], dSkip = new float[dInner], dBias = new float[dInner];
        scan.backward(dy, SelectiveScan.Rows.of(dxc, dInner), SelectiveScan.Rows.of(dDeltaF, dInner),
                new SelectiveScan.Rows(dXzF, dInner, 2 * dInner), new SelectiveScan.Rows(dXdblF, r, xWidth),
                new SelectiveScan.Rows(dXdblF, r + n, xWidth), dA, dSkip, dBias);
        for (int i = 0; i < dA.length; i++) dA[i] *= a[i]; // A = −exp(A_log): dA/dA_log = A
        addToGrad(aLog, dA);
        addToGrad(skip, dSkip);
        addToGrad(dtBias, dBias);

        dDelta = Buffers.reuse(dDelta, rows, dInner);
        put(dDeltaF, dDelta);
        dXdbl = Buffers.reuse(dXdbl, rows, xWidth);
        put(dXdblF, dXdbl);
        dtProj.backward(dDelta, dXdbl.get(NDArrayIndex.all(), NDArrayIndex.interval(0, r)), false);
        float[] fromXProj = copy(xProj.backward(dXdbl), null);
        for (int i = 0; i < dxc.length; i++) dxc[i] += fromXProj[i];

        float[] dConvW = new float[dInner * shape.dConv()], dConvB = new float[dInner];
        conv.backward(new SelectiveScan.Rows(xz, 0, 2 * dInner), values(convW), convPre, dxc, batch, seq,
                new SelectiveScan.Rows(dXzF, 0, 2 * dInner), dConvW, dConvB);
        addToGrad(convW, dConvW);
        addToGrad(convB, dConvB);
        dXz = Buffers.reuse(dXz, rows, 2 * dInner);
        put(dXzF, dXz);
        return inProj.backward(dXz);
    }

    /** A zero state; the small parameters are copied in once, as they do not change while generating. */
    @Override
    public State start(int batch) {
        return new Recurrent(conv.newWindow(batch), scan.newState(batch), values(convW), values(convB),
                negExp(values(aLog)), values(skip), values(dtBias));
    }

    @Override
    public INDArray step(INDArray x, State state) {
        Recurrent st = (Recurrent) state;
        int batch = st.batch();
        if (x.rank() != 2 || x.size(0) != batch || x.size(1) != shape.dModel()) {
            throw new IllegalArgumentException("Mamba step needs x of shape [" + batch + ", " + shape.dModel() + "], got "
                    + java.util.Arrays.toString(x.shape()));
        }
        int r = shape.dtRank(), n = shape.dState();
        float[] xzF = copy(inProj.forward(x), null);
        float[] xs = new float[batch * dInner], zs = new float[batch * dInner];
        for (int s = 0; s < batch; s++) {
            System.arraycopy(xzF, s * 2 * dInner, xs, s * dInner, dInner);
            System.arraycopy(xzF, s * 2 * dInner + dInner, zs, s * dInner, dInner);
        }
        float[] xcF = new float[batch * dInner];
        conv.step(st.window, xs, st.convW, st.convB, batch, xcF);
        INDArray xcArr = Buffers.zeros(batch, dInner);
        put(xcF, xcArr);
        INDArray xdblArr = xProj.forward(xcArr);
        float[] xdblF = copy(xdblArr, null);
        float[] delta = copy(dtProj.forward(xdblArr.get(NDArrayIndex.all(), NDArrayIndex.interval(0, r))), null);
        float[] bs = new float[batch * n], cs = new float[batch * n];
        for (int s = 0; s < batch; s++) {
            System.arraycopy(xdblF, s * xWidth + r, bs, s * n, n);
            System.arraycopy(xdblF, s * xWidth + r + n, cs, s * n, n);
        }
        float[] out = new float[batch * dInner];
        scan.step(st.scan, xcF, delta, zs, bs, cs, st.a, st.skip, st.dtBias, out);
        INDArray yArr = Buffers.zeros(batch, dInner);
        put(out, yArr);
        return outProj.forward(yArr);
    }

    private record Recurrent(float[] window, ScanState scan, float[] convW, float[] convB, float[] a, float[] skip,
                             float[] dtBias) implements State {
        @Override
        public int batch() { return scan.batch(); }
    }

    private static float[] negExp(float[] aLog) {
        float[] a = new float[aLog.length];
        for (int i = 0; i < a.length; i++) a[i] = (float) -Math.exp(aLog[i]);
        return a;
    }

    private static Initializer uniform(double bound) {
        return (v, s, random) -> { for (int i = 0; i < v.length; i++) v[i] = (float) ((2 * random.nextDouble() - 1) * bound); };
    }

    private static float[] reuse(float[] current, int size) {
        return current != null && current.length == size ? current : new float[size];
    }

    /** A c-order array (or a view with contiguous rows) into a float array, row by row. */
    private static float[] copy(INDArray a, float[] reuse) {
        int rows = (int) a.size(0), cols = (int) a.size(1);
        float[] out = reuse(reuse, rows * cols);
        FloatBuffer src = Buffers.floats(a);
        long stride = a.stride(0);
        if (stride == cols) {
            src.get((int) a.offset(), out, 0, rows * cols);
        } else {
            for (int i = 0; i < rows; i++) src.get((int) (a.offset() + i * stride), out, i * cols, cols);
        }
        return out;
    }

    private static void put(float[] src, INDArray dst) {
        Buffers.floats(dst).put((int) dst.offset(), src, 0, (int) dst.length());
    }


}
