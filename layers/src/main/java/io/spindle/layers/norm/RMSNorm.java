package io.spindle.layers.norm;

import io.spindle.layers.core.Buffers;
import io.spindle.layers.core.FeedForward;
import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.Parameter;
import io.spindle.layers.core.ParameterRole;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.core.ShardLayout;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;

/**
 * RMSNorm (Zhang &amp; Sennrich 2019, eq. 4): {@code y = x / sqrt(mean(x^2) + eps) * g} over the
 * last axis, no centering and no bias. Sums of squares accumulate in double so that wide rows
 * keep float32 accuracy.
 *
 * <p>When the parameter set holds a slice of the gain, each row is split over the slices' holders
 * (tensor parallelism of the normalized axis): this instance normalizes its columns with the mean
 * square of the whole row, whose per-row sums of squares, and in backward the per-row dot products,
 * are completed over the holders through the layout.
 */
public final class RMSNorm implements FeedForward {
    private final Parameter gain;
    private final ShardLayout layout;
    /** Columns of the whole row: the mean square divides by this. */
    private final int logicalDim;
    private final boolean sliced;
    private final int dim;
    private final double eps;
    private INDArray x;
    private float[] invRms;
    private INDArray y;
    private INDArray dx;
    private final double[] gainGrad;
    // Row staging: bulk copies in and out of the FloatBuffers, arithmetic on arrays (vectorizes).
    private final float[] g;
    private final float[] xRow;
    private final float[] dyRow;
    private final float[] outRow;
    /** Per-row sums completed over the slices' holders when sliced. */
    private INDArray rowSums;

    /** Registers {@code name} with shape {@code [dim]}, role NORM, initialized to 1. */
    public RMSNorm(ParameterSet params, String name, int dim, double eps) {
        if (!(eps > 0)) throw new IllegalArgumentException("RMSNorm eps must be > 0, got " + eps);
        this.gain = params.add(name, new long[] {dim}, ParameterRole.NORM, Initializer.constant(1f));
        this.layout = params.layout();
        this.logicalDim = dim;
        this.sliced = !gain.slice().isWhole();
        this.dim = (int) gain.shape()[0];
        this.eps = eps;
        this.gainGrad = new double[this.dim];
        this.g = new float[this.dim];
        this.xRow = new float[this.dim];
        this.dyRow = new float[this.dim];
        this.outRow = new float[this.dim];
    }

    public Parameter gain() { return gain; }

    private FloatBuffer rowSums(int rows) {
        rowSums = Buffers.reuse(rowSums, rows);
        return Buffers.floats(rowSums);
    }

    public double eps() { return eps; }

    /** x: [rows, dim] → y: [rows, dim], owned by this layer; x is kept for backward. */
    @Override
    public INDArray forward(INDArray x) {
        int rows = (int) x.size(0);
        this.x = x;
        y = Buffers.reuse(y, rows, dim);
        if (invRms == null || invRms.length != rows) invRms = new float[rows];
        FloatBuffer xs = Buffers.floats(x);
        FloatBuffer ys = Buffers.floats(y);
        Buffers.floats(gain.value()).get((int) gain.value().offset(), g, 0, dim);
        int xOff = (int) x.offset();
        int yOff = (int) y.offset();
        if (sliced) {
            // the row's sum of squares over every holder's columns, then the same scaling as below
            FloatBuffer sums = rowSums(rows);
            for (int r = 0; r < rows; r++) {
                xs.get(xOff + r * dim, xRow, 0, dim);
                double ss = 0;
                for (int c = 0; c < dim; c++) ss += xRow[c] * xRow[c];
                sums.put((int) rowSums.offset() + r, (float) ss);
            }
            layout.sumPartials(rowSums);
        }
        for (int r = 0; r < rows; r++) {
            xs.get(xOff + r * dim, xRow, 0, dim);
            double ss;
            if (sliced) {
                ss = Buffers.floats(rowSums).get((int) rowSums.offset() + r);
            } else {
                ss = 0;
                for (int c = 0; c < dim; c++) ss += xRow[c] * xRow[c];
            }
            float inv = (float) (1.0 / Math.sqrt(ss / logicalDim + eps));
            invRms[r] = inv;
            for (int c = 0; c < dim; c++) outRow[c] = xRow[c] * inv * g[c];
            ys.put(yOff + r * dim, outRow, 0, dim);
        }
        return y;
    }

    /**
     * With xhat = x·inv: dg += sum_rows dy·xhat and
     * dx = inv · (dy·g − xhat · mean(dy·g·xhat)), the Jacobian of the row scaling.
     */
    @Override
    public INDArray backward(INDArray dy) {
        if (x == null) throw new IllegalStateException(gain.name() + ": backward() before forward()");
        int rows = (int) dy.size(0);
        dx = Buffers.reuse(dx, rows, dim);
        FloatBuffer xs = Buffers.floats(x);
        FloatBuffer dys = Buffers.floats(dy);
        FloatBuffer dxs = Buffers.floats(dx);
        FloatBuffer dg = Buffers.floats(gain.grad());
        Buffers.floats(gain.value()).get((int) gain.value().offset(), g, 0, dim);
        int xOff = (int) x.offset();
        int dyOff = (int) dy.offset();
        int dxOff = (int) dx.offset();
        int dgOff = (int) gain.grad().offset();
        java.util.Arrays.fill(gainGrad, 0.0);
        FloatBuffer dots = null;
        if (sliced) {
            // the row's dot(dy·g, xhat) over every holder's columns
            dots = rowSums(rows);
            for (int r = 0; r < rows; r++) {
                float inv = invRms[r];
                xs.get(xOff + r * dim, xRow, 0, dim);
                dys.get(dyOff + r * dim, dyRow, 0, dim);
                double dot = 0;
                for (int c = 0; c < dim; c++) dot += dyRow[c] * g[c] * (xRow[c] * inv);
                dots.put((int) rowSums.offset() + r, (float) dot);
            }
            layout.sumPartials(rowSums);
        }
        for (int r = 0; r < rows; r++) {
            float inv = invRms[r];
            xs.get(xOff + r * dim, xRow, 0, dim);
            dys.get(dyOff + r * dim, dyRow, 0, dim);
            double dot = 0;
            for (int c = 0; c < dim; c++) {
                float xhat = xRow[c] * inv;
                gainGrad[c] += dyRow[c] * xhat;
                dot += dyRow[c] * g[c] * xhat;
            }
            if (sliced) dot = dots.get((int) rowSums.offset() + r);
            float mean = (float) (dot / logicalDim);
            for (int c = 0; c < dim; c++) outRow[c] = inv * (dyRow[c] * g[c] - xRow[c] * inv * mean);
            dxs.put(dxOff + r * dim, outRow, 0, dim);
        }
        for (int c = 0; c < dim; c++) dg.put(dgOff + c, (float) (dg.get(dgOff + c) + gainGrad[c]));
        return dx;
    }
}
