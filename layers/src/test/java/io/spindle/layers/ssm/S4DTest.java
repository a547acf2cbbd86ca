package io.spindle.layers.ssm;

import io.spindle.layers.core.Parameter;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.testing.FiniteDifference;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class S4DTest {

    /** A layer with every parameter moved off its initialization (C, D random; dt, A spread). */
    private static S4D layer(ParameterSet params, int channels, int stateSize, S4DKernel.Init init, long seed) {
        S4D s4d = new S4D(params, "s4d", channels, stateSize, init);
        params.allocate(seed);
        SplittableRandom random = new SplittableRandom(seed);
        params.get("s4d.log_A_real").value().addi(FiniteDifference.normal(random, 0.3, params.get("s4d.log_A_real").shape()));
        params.get("s4d.log_dt").value().assign(FiniteDifference.normal(random, 0.5, channels).subi(2.5));
        return s4d;
    }

    private static double[] d(INDArray a) { return FiniteDifference.toDoubles(a); }

    @Test
    void kernelIsTheVandermondeProduct() {
        ParameterSet params = new ParameterSet();
        int channels = 3, n = 8, length = 50;
        S4D s4d = layer(params, channels, n, S4DKernel.Init.INV, 1);
        s4d.forward(FiniteDifference.normal(new SplittableRandom(2), 1, 2L * length, channels), 2, length);
        INDArray k = s4d.kernel();
        double[] logDt = d(params.get("s4d.log_dt").value()), lar = d(params.get("s4d.log_A_real").value());
        double[] ai = d(params.get("s4d.A_imag").value()), cr = d(params.get("s4d.C_re").value()), ci = d(params.get("s4d.C_im").value());
        for (int h = 0; h < channels; h++) {
            double dt = Math.exp(logDt[h]);
            for (int l = 0; l < length; l++) {
                double sum = 0;
                for (int m = 0; m < n / 2; m++) {
                    int i = h * n / 2 + m;
                    double ar = -Math.exp(lar[i]);
                    // C (exp(dtA) - 1)/A · exp(dtA l), each exponential taken directly
                    Complex z = new Complex(Math.exp(dt * ar) * Math.cos(dt * ai[i]), Math.exp(dt * ar) * Math.sin(dt * ai[i]));
                    Complex zl = new Complex(Math.exp(dt * ar * l) * Math.cos(dt * ai[i] * l), Math.exp(dt * ar * l) * Math.sin(dt * ai[i] * l));
                    Complex term = new Complex(cr[i], ci[i]).times(new Complex(z.re() - 1, z.im())).div(new Complex(ar, ai[i])).times(zl);
                    sum += 2 * term.re();
                }
                assertEquals(sum, k.getFloat(h, l), 1e-5 * Math.max(1, Math.abs(sum)), "K[" + h + "," + l + "]");
            }
        }
    }

    /** Length 37 (the FFT pads to 128), 3 sequences, 5 channels against the O(L²) sum. */
    @Test
    void forwardIsTheCausalConvolutionPlusSkip() {
        ParameterSet params = new ParameterSet();
        int batch = 3, channels = 5, length = 37;
        S4D s4d = layer(params, channels, 4, S4DKernel.Init.LIN, 3);
        INDArray x = FiniteDifference.normal(new SplittableRandom(4), 1, (long) batch * length, channels);
        INDArray y = s4d.forward(x, batch, length);
        INDArray k = s4d.kernel();
        INDArray dSkip = params.get("s4d.D").value();
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < channels; h++) {
                for (int t = 0; t < length; t++) {
                    double want = dSkip.getFloat(h) * (double) x.getFloat(b * length + t, h);
                    for (int s = 0; s <= t; s++) want += (double) k.getFloat(h, s) * x.getFloat(b * length + t - s, h);
                    assertEquals(want, y.getFloat(b * length + t, h), 1e-4 * Math.max(1, Math.abs(want)),
                            "y[" + b + "," + t + "," + h + "]");
                }
            }
        }
    }

    /** L = sum(y · r) + sum(K · rk): gradients through the FFT convolution and through the kernel. */
    @Test
    void backwardMatchesFiniteDifferences() {
        SplittableRandom random = new SplittableRandom(5);
        ParameterSet params = new ParameterSet();
        int batch = 2, channels = 6, length = 40;
        S4D s4d = layer(params, channels, 8, S4DKernel.Init.LIN, 6);
        INDArray x = FiniteDifference.normal(random, 1, (long) batch * length, channels);
        INDArray r = FiniteDifference.normal(random, 1, (long) batch * length, channels);
        INDArray rk = FiniteDifference.normal(random, 1, channels, length);
        java.util.function.DoubleSupplier loss = () -> {
            double v = FiniteDifference.dot(s4d.forward(x, batch, length), r);
            return v + FiniteDifference.dot(s4d.kernel(), rk);
        };
        s4d.forward(x, batch, length);
        INDArray dx = s4d.backward(r, rk).dup();
        FiniteDifference.check("S4D dx", x, dx, loss, 1e-2, 1e-3, random);
        for (Parameter p : params.parameters()) {
            FiniteDifference.check("S4D d" + p.name(), p.value(), p.grad(), loss, 1e-3, 2e-3, random);
        }
    }

    /** Generation: one token at a time through the state gives the convolution's outputs. */
    @Test
    void recurrentStepsEqualTheConvolution() {
        ParameterSet params = new ParameterSet();
        int batch = 2, channels = 4, length = 60;
        S4D s4d = layer(params, channels, 16, S4DKernel.Init.INV, 7);
        INDArray x = FiniteDifference.normal(new SplittableRandom(8), 1, (long) batch * length, channels);
        INDArray y = s4d.forward(x, batch, length).dup();
        S4DState state = s4d.newState(batch);
        float[] u = new float[batch * channels];
        float[] out = new float[batch * channels];
        for (int t = 0; t < length; t++) {
            for (int b = 0; b < batch; b++) for (int h = 0; h < channels; h++) u[b * channels + h] = x.getFloat(b * length + t, h);
            s4d.step(state, u, out);
            for (int b = 0; b < batch; b++) {
                for (int h = 0; h < channels; h++) {
                    float want = y.getFloat(b * length + t, h);
                    assertEquals(want, out[b * channels + h], 2e-5 * Math.max(1, Math.abs(want)), "t=" + t + " b=" + b + " h=" + h);
                }
            }
        }
    }

    @Test
    void initializationsFollowThePaper() {
        ParameterSet params = new ParameterSet();
        new S4DKernel(params, "lin", 2, 8, S4DKernel.Init.LIN, 0.001, 0.1);
        new S4DKernel(params, "inv", 2, 8, S4DKernel.Init.INV, 0.001, 0.1);
        params.allocate(1);
        for (int h = 0; h < 2; h++) {
            for (int n = 0; n < 4; n++) {
                assertEquals(Math.PI * n, params.get("lin.A_imag").value().getFloat(h, n), 1e-5);
                assertEquals(8 / Math.PI * (8.0 / (2 * n + 1) - 1), params.get("inv.A_imag").value().getFloat(h, n), 1e-5);
                assertEquals(Math.log(0.5), params.get("lin.log_A_real").value().getFloat(h, n), 1e-6);
            }
            double dt = Math.exp(params.get("lin.log_dt").value().getFloat(h));
            assertTrue(dt >= 0.001 - 1e-9 && dt <= 0.1 + 1e-9, "dt " + dt);
        }
    }

    @Test
    void oddStateSizeIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new S4D(new ParameterSet(), "blocks.0.mixer", 4, 7, S4DKernel.Init.LIN));
        assertTrue(e.getMessage().contains("N=7 must be positive and even"), e.getMessage());
    }
}
