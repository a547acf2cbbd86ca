package io.spindle.layers.kan;

import io.spindle.layers.core.Buffers;
import io.spindle.layers.core.Parallel;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;

/**
 * GELU (Hendrycks &amp; Gimpel 2016), the exact form {@code x Φ(x) = x/2 (1 + erf(x/√2))}, and its
 * derivative {@code Φ(x) + x φ(x)}. Java has no erf; Abramowitz &amp; Stegun 7.1.26 gives it to
 * 1.5e-7 absolute with one exp, below float32 resolution of GELU's output scale, and the same exp
 * is φ's, so value and derivative together cost one exp.
 *
 * <p>GELU is what GR-KAN's second rational starts from ({@link RationalStart#GELU}), the activation
 * of the MLP that GR-KAN is compared with, and the activation after the S4D convolution.
 */
public final class Gelu {
    private static final double P = 0.3275911;
    private static final double A1 = 0.254829592;
    private static final double A2 = -0.284496736;
    private static final double A3 = 1.421413741;
    private static final double A4 = -1.453152027;
    private static final double A5 = 1.061405429;
    private static final double INV_SQRT2 = 0.7071067811865476;
    private static final double INV_SQRT_2PI = 0.3989422804014327;

    /** Elements per thread below which splitting costs more than it saves (one exp each). */
    private static final int MIN_CHUNK = 8_192;

    private Gelu() {}

    public static double value(double x) {
        return x * cdf(x, Math.exp(-0.5 * x * x));
    }

    public static double derivative(double x) {
        double e = Math.exp(-0.5 * x * x);
        return cdf(x, e) + x * INV_SQRT_2PI * e;
    }

    /** y[i] = gelu(x[i]) for i in [from, to). */
    public static void forward(float[] x, float[] y, int from, int to) {
        for (int i = from; i < to; i++) y[i] = (float) value(x[i]);
    }

    /** dx[i] = dy[i] · gelu'(x[i]) for i in [from, to); dx may be dy. */
    public static void backward(float[] x, float[] dy, float[] dx, int from, int to) {
        for (int i = from; i < to; i++) dx[i] = (float) (dy[i] * derivative(x[i]));
    }

    /** y = gelu(x) over c-order arrays of equal length, split over threads; y may be x. */
    public static void forward(INDArray x, INDArray y) {
        elementwise(x, x, y, (in, unused, out, len) -> forward(in, out, 0, len));
    }

    /** dx = dy · gelu'(x) over c-order arrays of equal length; dx may be dy. */
    public static void backward(INDArray x, INDArray dy, INDArray dx) {
        elementwise(x, dy, dx, (in, g, out, len) -> backward(in, g, out, 0, len));
    }

    private interface Block {
        void run(float[] a, float[] b, float[] out, int len);
    }

    private static void elementwise(INDArray a, INDArray b, INDArray out, Block block) {
        long n = out.length();
        if (a.length() != n || b.length() != n) {
            throw new IllegalArgumentException("gelu needs arrays of equal length, got " + a.length() + ", " + b.length()
                    + " and " + n);
        }
        FloatBuffer as = Buffers.floats(a), bs = Buffers.floats(b), os = Buffers.floats(out);
        int aOff = (int) a.offset(), bOff = (int) b.offset(), oOff = (int) out.offset();
        Parallel.forRange((int) n, MIN_CHUNK, (chunk, from, to) -> {
            float[][] st = Buffers.staging();
            for (int i = from; i < to; i += Buffers.STAGE) {
                int len = Math.min(Buffers.STAGE, to - i);
                as.get(aOff + i, st[0], 0, len);
                bs.get(bOff + i, st[1], 0, len);
                block.run(st[0], st[1], st[2], len);
                os.put(oOff + i, st[2], 0, len);
            }
        });
    }

    /** Φ(x) given e = exp(-x²/2) = exp(-(x/√2)²), the factor A&amp;S 7.1.26 needs for erf(x/√2). */
    private static double cdf(double x, double e) {
        double z = Math.abs(x) * INV_SQRT2;
        double t = 1.0 / (1.0 + P * z);
        double erf = 1.0 - t * (A1 + t * (A2 + t * (A3 + t * (A4 + t * A5)))) * e;
        return 0.5 * (1.0 + (x >= 0 ? erf : -erf));
    }
}
