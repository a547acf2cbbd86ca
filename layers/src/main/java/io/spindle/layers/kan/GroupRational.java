package io.spindle.layers.kan;

import io.spindle.layers.core.Buffers;
import io.spindle.layers.core.Parallel;
import io.spindle.layers.core.Parameter;
import io.spindle.layers.core.ParameterRole;
import io.spindle.layers.core.ParameterSet;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;

/**
 * KAT's group-wise rational unit (Yang &amp; Wang 2024, eq. 9–10), the safe Padé form
 * {@code y = P(x)/Q(x)}, {@code P = Σ_{i=0..5} a_i x^i}, {@code Q = 1 + Σ_{j=1..4} |b_j| |x|^j},
 * applied elementwise with one coefficient set per channel group: channel c belongs to group
 * {@code c / (channels / groups)}. Coefficients are {@code num [groups, 6]} and
 * {@code den [groups, 4]}, role COEFFICIENT. When the parameter set holds a slice of the groups
 * (tensor parallelism of the channels), this instance computes the channels of those groups.
 *
 * <p>The input may carry a per-channel bias that is added first ({@code y = R(x + bias)}), so the
 * preceding linear layer's bias costs no pass of its own and its gradient is summed here.
 *
 * <p>Backward is fused (as FlashKAT restructures KAT's): each coefficient's gradient is a sum over
 * every element of its group, and materializing the per-element terms, as autograd does, makes
 * the layer memory-bound. Here each thread sums the ten terms per channel while it computes dx
 * (plain loops over a row's channels), folds them into per-group double totals every
 * {@link #FLUSH_ROWS} rows, and the threads' totals are added in a fixed order at the end.
 */
public final class GroupRational {
    private static final int NUM = RationalFit.NUM;
    private static final int DEN = RationalFit.DEN;
    private static final int TERMS = NUM + DEN;
    /** Elements per thread below which splitting over threads costs more than it saves. */
    private static final int MIN_CHUNK = 16_384;
    /** Rows summed in float per channel before the sums move to double. */
    private static final int FLUSH_ROWS = 64;

    private final Parameter num;
    private final Parameter den;
    private final int channels;
    private final int groups;
    private final int width;
    private final Scratch[] scratch = new Scratch[Parallel.threads()];
    private INDArray x;
    private Parameter bias;
    private INDArray y;
    private INDArray dx;

    /**
     * Registers {@code prefix.num} {@code [groups, 6]} and {@code prefix.den} {@code [groups, 4]},
     * every group starting as {@code start}.
     */
    public GroupRational(ParameterSet params, String prefix, int channels, int groups, RationalStart start) {
        if (groups <= 0 || channels <= 0 || channels % groups != 0) {
            throw new IllegalArgumentException(prefix + ": groups=" + groups + " must be positive and divide channels="
                    + channels + "; choose a divisor of " + channels);
        }
        this.width = channels / groups;
        this.num = params.add(prefix + ".num", new long[] {groups, NUM}, ParameterRole.COEFFICIENT, start.numerator());
        this.den = params.add(prefix + ".den", new long[] {groups, DEN}, ParameterRole.COEFFICIENT, start.denominator());
        // A tensor-parallel slice of the groups holds whole groups of contiguous channels: it computes those.
        this.groups = (int) num.shape()[0];
        this.channels = width * this.groups;
        if (den.shape()[0] != this.groups) {
            throw new IllegalArgumentException(prefix + ": num holds " + this.groups + " groups but den " + den.shape()[0]
                    + "; split both by groups or neither");
        }
    }

    public Parameter numerator() { return num; }

    public Parameter denominator() { return den; }

    /** x: [rows, channels] → R(x): [rows, channels], owned by this layer; x is kept for backward. */
    public INDArray forward(INDArray x) {
        return forward(x, null);
    }

    /**
     * x: [rows, channels] → R(x + bias), bias {@code [channels]} or null; x (and the bias) are
     * kept for backward, which adds the bias's gradient.
     */
    public INDArray forward(INDArray x, Parameter bias) {
        requireShape(x);
        this.x = x;
        this.bias = bias;
        int rows = (int) x.size(0);
        y = Buffers.reuse(y, rows, channels);
        float[] a = coefficients(num);
        float[] b = absoluteDenominator();
        float[] shift = biasValues(bias);
        FloatBuffer xs = Buffers.floats(x);
        FloatBuffer ys = Buffers.floats(y);
        int xOff = (int) x.offset();
        int yOff = (int) y.offset();
        Parallel.forRange(rows, Math.max(1, MIN_CHUNK / channels), (chunk, from, to) -> {
            Scratch s = scratch(chunk);
            for (int r = from; r < to; r++) {
                load(xs, xOff + r * channels, shift, s.in);
                for (int g = 0; g < groups; g++) forwardGroup(s.in, s.out, g * width, (g + 1) * width, a, b, g);
                ys.put(yOff + r * channels, s.out, 0, channels);
            }
        });
        return y;
    }

    /** dy: [rows, channels] → dx, owned by this layer; adds num, den (and bias) gradients. */
    public INDArray backward(INDArray dy) {
        if (x == null) throw new IllegalStateException(num.name() + ": backward() before forward()");
        if (dy.size(0) != x.size(0) || dy.size(1) != channels) {
            throw new IllegalArgumentException(num.name() + ": dy has shape " + java.util.Arrays.toString(dy.shape())
                    + ", expected the forward's [" + x.size(0) + ", " + channels + "]");
        }
        int rows = (int) x.size(0);
        dx = Buffers.reuse(dx, rows, channels);
        float[] a = coefficients(num);
        float[] b = absoluteDenominator();
        float[] shift = biasValues(bias);
        boolean withBias = bias != null;
        FloatBuffer xs = Buffers.floats(x);
        FloatBuffer dys = Buffers.floats(dy);
        FloatBuffer dxs = Buffers.floats(dx);
        int xOff = (int) x.offset();
        int dyOff = (int) dy.offset();
        int dxOff = (int) dx.offset();
        for (Scratch s : scratch) if (s != null) s.clearTotals();
        Parallel.forRange(rows, Math.max(1, MIN_CHUNK / channels), (chunk, from, to) -> {
            Scratch s = scratch(chunk);
            for (int r0 = from; r0 < to; r0 += FLUSH_ROWS) {
                int r1 = Math.min(to, r0 + FLUSH_ROWS);
                for (int r = r0; r < r1; r++) {
                    load(xs, xOff + r * channels, shift, s.in);
                    dys.get(dyOff + r * channels, s.grad, 0, channels);
                    for (int g = 0; g < groups; g++) backwardGroup(s, g * width, (g + 1) * width, a, b, g);
                    dxs.put(dxOff + r * channels, s.out, 0, channels);
                    if (withBias) for (int c = 0; c < channels; c++) s.biasSum[c] += s.out[c];
                }
                s.flush();
            }
        });
        addCoefficientGradients();
        return dx;
    }

    /** y = P(x)/Q(x) over channels [from, to) of group g; Horner in x for P and in |x| for Q. */
    private static void forwardGroup(float[] in, float[] out, int from, int to, float[] a, float[] b, int g) {
        int ao = g * NUM;
        int bo = g * DEN;
        float a0 = a[ao], a1 = a[ao + 1], a2 = a[ao + 2], a3 = a[ao + 3], a4 = a[ao + 4], a5 = a[ao + 5];
        float b1 = b[bo], b2 = b[bo + 1], b3 = b[bo + 2], b4 = b[bo + 3];
        for (int c = from; c < to; c++) {
            float v = in[c];
            float av = Math.abs(v);
            float p = a0 + v * (a1 + v * (a2 + v * (a3 + v * (a4 + v * a5))));
            float q = 1f + av * (b1 + av * (b2 + av * (b3 + av * b4)));
            out[c] = p / q;
        }
    }

    /**
     * With y = P/Q and g = dy: dx = g/Q (P' − y Q'), Q' = sign(x) dQ/d|x|;
     * da_i = Σ g/Q x^i and, with S_j = Σ g y/Q |x|^j, db_j = −sign(b_j) S_j (sign(±0) = ±1; taken in
     * {@link #addCoefficientGradients}). The ten sums run per channel here.
     */
    private void backwardGroup(Scratch s, int from, int to, float[] a, float[] b, int g) {
        int ao = g * NUM;
        int bo = g * DEN;
        float a0 = a[ao], a1 = a[ao + 1], a2 = a[ao + 2], a3 = a[ao + 3], a4 = a[ao + 4], a5 = a[ao + 5];
        float b1 = b[bo], b2 = b[bo + 1], b3 = b[bo + 2], b4 = b[bo + 3];
        float[] in = s.in, grad = s.grad, out = s.out, acc = s.acc;
        int n = channels;
        for (int c = from; c < to; c++) {
            float v = in[c];
            float av = Math.abs(v);
            float v2 = v * v;
            float v3 = v2 * v;
            float v4 = v2 * v2;
            float av3 = av * v2;
            float p = a0 + a1 * v + a2 * v2 + a3 * v3 + a4 * v4 + a5 * v4 * v;
            float q = 1f + b1 * av + b2 * v2 + b3 * av3 + b4 * v4;
            float dp = a1 + 2f * a2 * v + 3f * a3 * v2 + 4f * a4 * v3 + 5f * a5 * v4;
            float dqAbs = b1 + 2f * b2 * av + 3f * b3 * v2 + 4f * b4 * av3;
            float gq = grad[c] / q;
            float yv = p / q;
            out[c] = gq * (dp - yv * Math.copySign(dqAbs, v));
            float gy = gq * yv;
            acc[c] += gq;
            acc[n + c] += gq * v;
            acc[2 * n + c] += gq * v2;
            acc[3 * n + c] += gq * v3;
            acc[4 * n + c] += gq * v4;
            acc[5 * n + c] += gq * v4 * v;
            acc[6 * n + c] += gy * av;
            acc[7 * n + c] += gy * v2;
            acc[8 * n + c] += gy * av3;
            acc[9 * n + c] += gy * v4;
        }
    }

    /**
     * Sums the chunks' totals in chunk order (deterministic; chunks a call did not use hold
     * zeros) and adds them to the gradients.
     */
    private void addCoefficientGradients() {
        double[] total = new double[groups * TERMS];
        double[] biasTotal = new double[channels];
        for (Scratch s : scratch) {
            if (s == null) continue;
            for (int i = 0; i < total.length; i++) total[i] += s.totals[i];
            for (int c = 0; c < channels; c++) biasTotal[c] += s.biasTotals[c];
        }
        float[] rawDen = coefficients(den);
        FloatBuffer ng = Buffers.floats(num.grad());
        FloatBuffer dg = Buffers.floats(den.grad());
        int nOff = (int) num.grad().offset();
        int dOff = (int) den.grad().offset();
        for (int g = 0; g < groups; g++) {
            for (int i = 0; i < NUM; i++) {
                int at = nOff + g * NUM + i;
                ng.put(at, (float) (ng.get(at) + total[g * TERMS + i]));
            }
            for (int j = 0; j < DEN; j++) {
                int at = dOff + g * DEN + j;
                // sign(b) with sign(±0) = ±1, as KAT's kernel (copysign): a denominator that starts
                // at 0, as the identity start's does, still learns
                double d = -Math.copySign(1.0, rawDen[g * DEN + j]) * total[g * TERMS + NUM + j];
                dg.put(at, (float) (dg.get(at) + d));
            }
        }
        if (bias != null) {
            FloatBuffer bg = Buffers.floats(bias.grad());
            int bOff = (int) bias.grad().offset();
            for (int c = 0; c < channels; c++) bg.put(bOff + c, (float) (bg.get(bOff + c) + biasTotal[c]));
        }
    }

    private void load(FloatBuffer xs, int at, float[] shift, float[] in) {
        xs.get(at, in, 0, channels);
        if (shift != null) for (int c = 0; c < channels; c++) in[c] += shift[c];
    }

    private float[] absoluteDenominator() {
        float[] b = coefficients(den);
        for (int i = 0; i < b.length; i++) b[i] = Math.abs(b[i]);
        return b;
    }

    private static float[] coefficients(Parameter p) {
        float[] out = new float[(int) p.size()];
        Buffers.floats(p.value()).get((int) p.value().offset(), out, 0, out.length);
        return out;
    }

    private float[] biasValues(Parameter bias) {
        if (bias == null) return null;
        if (bias.size() != channels) {
            throw new IllegalArgumentException(num.name() + ": bias " + bias.name() + " has " + bias.size()
                    + " elements, expected one per channel (" + channels + ")");
        }
        return coefficients(bias);
    }

    private void requireShape(INDArray x) {
        // a single row may carry any row stride (ND4J normalizes strides of size-1 axes)
        if (x.rank() != 2 || x.size(1) != channels || x.stride(1) != 1 || (x.size(0) > 1 && x.stride(0) != channels)) {
            throw new IllegalArgumentException(num.name() + ": input must be a c-order [rows, " + channels
                    + "] array, got shape " + java.util.Arrays.toString(x.shape()));
        }
    }

    private Scratch scratch(int chunk) {
        Scratch s = scratch[chunk];
        if (s == null) {
            s = new Scratch(channels, groups, width);
            scratch[chunk] = s;
        }
        return s;
    }

    /** One thread's row buffers and running sums. */
    private static final class Scratch {
        final float[] in;
        final float[] grad;
        final float[] out;
        final float[] acc;
        final float[] biasSum;
        final double[] totals;
        final double[] biasTotals;
        private final int groups;
        private final int width;

        Scratch(int channels, int groups, int width) {
            this.in = new float[channels];
            this.grad = new float[channels];
            this.out = new float[channels];
            this.acc = new float[TERMS * channels];
            this.biasSum = new float[channels];
            this.totals = new double[groups * TERMS];
            this.biasTotals = new double[channels];
            this.groups = groups;
            this.width = width;
        }

        void clearTotals() {
            java.util.Arrays.fill(totals, 0);
            java.util.Arrays.fill(biasTotals, 0);
        }

        /** Moves the per-channel float sums into the per-group double totals and clears them. */
        void flush() {
            int channels = in.length;
            for (int k = 0; k < TERMS; k++) {
                for (int g = 0; g < groups; g++) {
                    double s = 0;
                    int base = k * channels + g * width;
                    for (int c = 0; c < width; c++) s += acc[base + c];
                    totals[g * TERMS + k] += s;
                }
            }
            java.util.Arrays.fill(acc, 0f);
            for (int c = 0; c < channels; c++) biasTotals[c] += biasSum[c];
            java.util.Arrays.fill(biasSum, 0f);
        }
    }
}
