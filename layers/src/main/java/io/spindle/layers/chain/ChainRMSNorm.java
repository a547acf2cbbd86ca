package io.spindle.layers.chain;

import io.spindle.layers.core.Buffers;
import io.spindle.layers.core.FeedForward;
import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.Parameter;
import io.spindle.layers.core.ParameterRole;
import io.spindle.layers.core.ParameterSet;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;

/**
 * RMSNorm applied to each chain separately (CoLM's chain-wise norm):
 * {@code y_j = x_j / sqrt(mean(x_j^2) + eps) * g_j}, so chain j's output never depends on later
 * chains. One gain per chain, {@code name.chain<j>} of shape [size(j)], role NORM, initialized to 1.
 * Sums of squares accumulate in double so wide chains keep float32 accuracy.
 */
public final class ChainRMSNorm implements FeedForward {
    private final Chains chains;
    private final double eps;
    private final Parameter[] gains;
    private final int dim;
    /** Chain boundaries: chain j is columns [bounds[j], bounds[j + 1]). */
    private final int[] bounds;
    private INDArray x;
    private float[] invRms;
    private INDArray y;
    private INDArray dx;
    // Row staging: bulk copies in and out of the FloatBuffers, arithmetic on arrays (vectorizes).
    private final float[] g;
    private final float[] xRow;
    private final float[] dyRow;
    private final float[] outRow;

    public ChainRMSNorm(ParameterSet params, String name, Chains chains, double eps) {
        if (!(eps > 0)) throw new IllegalArgumentException(name + ": RMSNorm eps must be > 0, got " + eps);
        this.chains = chains;
        this.eps = eps;
        this.dim = chains.total();
        this.bounds = new int[chains.count() + 1];
        for (int j = 0; j <= chains.count(); j++) bounds[j] = chains.offset(j);
        this.gains = new Parameter[chains.count()];
        for (int j = 0; j < gains.length; j++) {
            gains[j] = params.add(ChainLinear.blockName(name, j), new long[] {chains.size(j)}, ParameterRole.NORM,
                    Initializer.constant(1f));
        }
        this.g = new float[dim];
        this.xRow = new float[dim];
        this.dyRow = new float[dim];
        this.outRow = new float[dim];
    }

    public Chains chains() { return chains; }

    /** Chain j's gain [size(j)]. */
    public Parameter gain(int chain) { return gains[chain]; }

    /** x: [rows, total] → y: [rows, total], owned by this layer; x is kept for backward. */
    @Override
    public INDArray forward(INDArray x) {
        if (x.rank() != 2 || x.size(1) != dim) {
            throw new IllegalArgumentException(gains[0].name() + ": input has shape " + java.util.Arrays.toString(x.shape())
                    + ", expected [rows, " + dim + "]");
        }
        int rows = (int) x.size(0);
        int n = chains.count();
        this.x = x;
        y = Buffers.reuse(y, rows, dim);
        if (invRms == null || invRms.length != rows * n) invRms = new float[rows * n];
        loadGains();
        FloatBuffer xs = Buffers.floats(x);
        FloatBuffer ys = Buffers.floats(y);
        int xOff = (int) x.offset();
        int yOff = (int) y.offset();
        for (int r = 0; r < rows; r++) {
            xs.get(xOff + r * dim, xRow, 0, dim);
            for (int j = 0; j < n; j++) {
                int from = bounds[j];
                int to = bounds[j + 1];
                double ss = 0;
                for (int c = from; c < to; c++) ss += xRow[c] * xRow[c];
                float inv = (float) (1.0 / Math.sqrt(ss / (to - from) + eps));
                invRms[r * n + j] = inv;
                for (int c = from; c < to; c++) outRow[c] = xRow[c] * inv * g[c];
            }
            ys.put(yOff + r * dim, outRow, 0, dim);
        }
        return y;
    }

    /**
     * Per chain, with xhat = x·inv: dg += sum_rows dy·xhat and
     * dx = inv · (dy·g − xhat · mean_chain(dy·g·xhat)).
     */
    @Override
    public INDArray backward(INDArray dy) {
        if (x == null) throw new IllegalStateException(gains[0].name() + ": backward() before forward()");
        int rows = (int) dy.size(0);
        int n = chains.count();
        dx = Buffers.reuse(dx, rows, dim);
        loadGains();
        double[] gainGrad = new double[dim];
        FloatBuffer xs = Buffers.floats(x);
        FloatBuffer dys = Buffers.floats(dy);
        FloatBuffer dxs = Buffers.floats(dx);
        int xOff = (int) x.offset();
        int dyOff = (int) dy.offset();
        int dxOff = (int) dx.offset();
        for (int r = 0; r < rows; r++) {
            xs.get(xOff + r * dim, xRow, 0, dim);
            dys.get(dyOff + r * dim, dyRow, 0, dim);
            for (int j = 0; j < n; j++) {
                int from = bounds[j];
                int to = bounds[j + 1];
                float inv = invRms[r * n + j];
                double dot = 0;
                for (int c = from; c < to; c++) {
                    float xhat = xRow[c] * inv;
                    gainGrad[c] += dyRow[c] * xhat;
                    dot += dyRow[c] * g[c] * xhat;
                }
                float mean = (float) (dot / (to - from));
                for (int c = from; c < to; c++) outRow[c] = inv * (dyRow[c] * g[c] - xRow[c] * inv * mean);
            }
            dxs.put(dxOff + r * dim, outRow, 0, dim);
        }
        for (int j = 0; j < n; j++) {
            INDArray grad = gains[j].grad();
            FloatBuffer gb = Buffers.floats(grad);
            int off = (int) grad.offset();
            for (int c = 0; c < chains.size(j); c++) {
                gb.put(off + c, (float) (gb.get(off + c) + gainGrad[bounds[j] + c]));
            }
        }
        return dx;
    }

    private void loadGains() {
        for (int j = 0; j < gains.length; j++) {
            INDArray v = gains[j].value();
            Buffers.floats(v).get((int) v.offset(), g, bounds[j], chains.size(j));
        }
    }
}
