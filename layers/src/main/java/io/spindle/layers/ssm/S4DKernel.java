package io.spindle.layers.ssm;

import io.spindle.layers.core.Buffers;
import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.Parallel;
import io.spindle.layers.core.Parameter;
import io.spindle.layers.core.ParameterRole;
import io.spindle.layers.core.ParameterSet;

import static io.spindle.layers.ssm.ParameterArrays.addToGrad;
import static io.spindle.layers.ssm.ParameterArrays.values;

/**
 * The S4D convolution kernel (Gu et al. 2022, "On the Parameterization and Initialization of
 * Diagonal State Space Models", §3): per channel h, M = N/2 complex modes (conjugate pairs folded
 * into 2 Re), {@code A_n = −exp(log_A_real) + i A_imag}, step {@code dt = exp(log_dt)}, zero-order
 * hold {@code z_n = exp(dt A_n)}, {@code W_n = C_n (z_n − 1)/A_n}, and the Vandermonde product
 * {@code K[h,l] = 2 Re Σ_n W_n z_n^l}. Arithmetic in double (the powers z^l run to L).
 *
 * <p>Parameters (role VECTOR, so the Muon family leaves them to AdamW and they get no weight
 * decay): {@code prefix.log_dt [H]}, {@code prefix.log_A_real}, {@code prefix.A_imag},
 * {@code prefix.C_re}, {@code prefix.C_im}, each {@code [H, M]}.
 */
public final class S4DKernel {
    /** How A's imaginary parts start (S4D paper, §4). The real parts start at −1/2 in both. */
    public enum Init {
        /** S4D-Lin: A_n = −1/2 + iπn. */
        LIN,
        /** S4D-Inv: A_n = −1/2 + i (N/π)(N/(2n+1) − 1). */
        INV
    }

    private final int channels;
    private final int modes;
    private final Parameter logDt;
    private final Parameter logAReal;
    private final Parameter aImag;
    private final Parameter cRe;
    private final Parameter cIm;
    private Modes discrete;
    private int length;

    /**
     * Registers the kernel's parameters: {@code stateSize} N (even) states per channel, steps drawn
     * log-uniformly from [dtMin, dtMax] (0.001 and 0.1 in the paper), C ~ complex normal of unit
     * variance.
     */
    public S4DKernel(ParameterSet params, String prefix, int channels, int stateSize, Init init, double dtMin, double dtMax) {
        if (stateSize <= 0 || stateSize % 2 != 0) {
            throw new IllegalArgumentException(prefix + ": state size N=" + stateSize
                    + " must be positive and even (conjugate pairs are folded into N/2 modes); e.g. 64");
        }
        if (!(dtMin > 0) || !(dtMax >= dtMin)) {
            throw new IllegalArgumentException(prefix + ": need 0 < dtMin <= dtMax, got " + dtMin + ", " + dtMax);
        }
        this.modes = stateSize / 2;
        long[] hm = {channels, modes};
        double lo = Math.log(dtMin), hi = Math.log(dtMax);
        this.logDt = params.add(prefix + ".log_dt", new long[] {channels}, ParameterRole.VECTOR,
                (v, s, r) -> { for (int i = 0; i < v.length; i++) v[i] = (float) (lo + r.nextDouble() * (hi - lo)); });
        this.logAReal = params.add(prefix + ".log_A_real", hm, ParameterRole.VECTOR, Initializer.constant((float) Math.log(0.5)));
        this.aImag = params.add(prefix + ".A_imag", hm, ParameterRole.VECTOR, (v, s, r) -> {
            for (int i = 0; i < v.length; i++) {
                int n = i % modes;
                v[i] = (float) (init == Init.LIN ? Math.PI * n : stateSize / Math.PI * (stateSize / (2.0 * n + 1) - 1));
            }
        });
        this.cRe = params.add(prefix + ".C_re", hm, ParameterRole.VECTOR, Initializer.normal(Math.sqrt(0.5)));
        this.cIm = params.add(prefix + ".C_im", hm, ParameterRole.VECTOR, Initializer.normal(Math.sqrt(0.5)));
        // A tensor-parallel slice of the channels (the same rows of every parameter) computes those channels.
        this.channels = (int) logDt.shape()[0];
    }

    public int channels() { return channels; }

    /** N/2, the complex modes per channel. */
    public int modes() { return modes; }

    /** K [channels, length], row-major, from the current parameters; kept for {@link #backward}. */
    public float[] compute(int length) {
        this.length = length;
        discrete = discretize();
        Modes m = discrete;
        float[] k = new float[channels * length];
        Parallel.forRange(channels, 8, (chunk, from, to) -> {
            double[] pr = new double[modes];
            double[] pi = new double[modes];
            for (int h = from; h < to; h++) {
                int o = h * modes;
                System.arraycopy(m.wRe, o, pr, 0, modes);
                System.arraycopy(m.wIm, o, pi, 0, modes);
                for (int l = 0; l < length; l++) {
                    double sum = 0;
                    for (int n = 0; n < modes; n++) {
                        sum += pr[n];
                        double re = pr[n] * m.zRe[o + n] - pi[n] * m.zIm[o + n];
                        pi[n] = pr[n] * m.zIm[o + n] + pi[n] * m.zRe[o + n];
                        pr[n] = re;
                    }
                    k[h * length + l] = (float) (2 * sum);
                }
            }
        });
        return k;
    }

    /**
     * Adds the parameters' gradients given {@code dk = dL/dK} [channels, length] of the last
     * {@link #compute}. With S_n = Σ_l dK_l z^l and T_n = Σ_l l dK_l z^(l−1), and ḡ_v = ∂L/∂Re v + i ∂L/∂Im v
     * (for holomorphic v → w, ḡ_v = conj(dw/dv) ḡ_w): ḡ_W = 2 conj(S), ḡ_z = 2 conj(W T), then the chain
     * through W = C (z − 1)/A, z = exp(dt A), A = −exp(log_A_real) + i A_imag and dt = exp(log_dt).
     */
    public void backward(float[] dk) {
        if (discrete == null) throw new IllegalStateException("S4D kernel backward() before compute()");
        Modes m = discrete;
        float[] dLogDt = new float[channels];
        float[] dLogAReal = new float[channels * modes];
        float[] dAImag = new float[channels * modes];
        float[] dCRe = new float[channels * modes];
        float[] dCIm = new float[channels * modes];
        Parallel.forRange(channels, 8, (chunk, from, to) -> {
            double[] pr = new double[modes], pi = new double[modes];
            double[] sr = new double[modes], si = new double[modes];
            double[] tr = new double[modes], ti = new double[modes];
            for (int h = from; h < to; h++) {
                int o = h * modes;
                java.util.Arrays.fill(pr, 1);
                java.util.Arrays.fill(pi, 0);
                java.util.Arrays.fill(sr, 0);
                java.util.Arrays.fill(si, 0);
                java.util.Arrays.fill(tr, 0);
                java.util.Arrays.fill(ti, 0);
                for (int l = 0; l < length; l++) {
                    double g = dk[h * length + l];
                    // p = z^l: S gets dK_l z^l, T gets (l+1) dK_(l+1) z^l
                    double gNext = l + 1 < length ? (l + 1) * (double) dk[h * length + l + 1] : 0;
                    for (int n = 0; n < modes; n++) {
                        sr[n] += g * pr[n];
                        si[n] += g * pi[n];
                        tr[n] += gNext * pr[n];
                        ti[n] += gNext * pi[n];
                        double re = pr[n] * m.zRe[o + n] - pi[n] * m.zIm[o + n];
                        pi[n] = pr[n] * m.zIm[o + n] + pi[n] * m.zRe[o + n];
                        pr[n] = re;
                    }
                }
                double dt = m.dt[h];
                double dDt = 0;
                for (int n = 0; n < modes; n++) {
                    Complex z = new Complex(m.zRe[o + n], m.zIm[o + n]);
                    Complex w = new Complex(m.wRe[o + n], m.wIm[o + n]);
                    Complex a = new Complex(m.aRe[o + n], m.aIm[o + n]);
                    Complex c = new Complex(m.cRe[o + n], m.cIm[o + n]);
                    Complex gW = new Complex(2 * sr[n], -2 * si[n]);
                    Complex gZ = w.times(new Complex(tr[n], ti[n])).conj().scale(2);
                    Complex zMinus1 = new Complex(z.re() - 1, z.im());
                    Complex gC = zMinus1.div(a).conj().times(gW);
                    Complex dWdA = c.times(z.scale(dt).times(a).minus(zMinus1)).div(a.times(a));
                    Complex gA = z.scale(dt).conj().times(gZ).plus(dWdA.conj().times(gW));
                    dLogAReal[o + n] = (float) (gA.re() * a.re()); // d A_re / d log_A_real = −exp(log_A_real) = A_re
                    dAImag[o + n] = (float) gA.im();
                    dCRe[o + n] = (float) gC.re();
                    dCIm[o + n] = (float) gC.im();
                    dDt += a.times(z).conj().times(gZ).re() + c.times(z).conj().times(gW).re();
                }
                dLogDt[h] = (float) (dDt * dt);
            }
        });
        addToGrad(logDt, dLogDt);
        addToGrad(logAReal, dLogAReal);
        addToGrad(aImag, dAImag);
        addToGrad(cRe, dCRe);
        addToGrad(cIm, dCIm);
    }

    /** z_n, W_n (and A, C, dt) per channel and mode from the current parameters. */
    Modes discretize() {
        float[] logDtV = values(logDt), lar = values(logAReal), ai = values(aImag);
        float[] cr = values(cRe), ci = values(cIm);
        Modes m = new Modes(channels, modes);
        for (int h = 0; h < channels; h++) {
            double dt = Math.exp(logDtV[h]);
            m.dt[h] = dt;
            for (int n = 0; n < modes; n++) {
                int i = h * modes + n;
                Complex a = new Complex(-Math.exp(lar[i]), ai[i]);
                double mag = Math.exp(dt * a.re());
                Complex z = new Complex(mag * Math.cos(dt * a.im()), mag * Math.sin(dt * a.im()));
                Complex w = new Complex(cr[i], ci[i]).times(new Complex(z.re() - 1, z.im())).div(a);
                m.aRe[i] = a.re();
                m.aIm[i] = a.im();
                m.cRe[i] = cr[i];
                m.cIm[i] = ci[i];
                m.zRe[i] = z.re();
                m.zIm[i] = z.im();
                m.wRe[i] = w.re();
                m.wIm[i] = w.im();
            }
        }
        return m;
    }



    /** The discretized system of every channel, [channels × modes] arrays, row-major. */
    static final class Modes {
        final double[] dt;
        final double[] aRe, aIm, cRe, cIm, zRe, zIm, wRe, wIm;

        Modes(int channels, int modes) {
            int size = channels * modes;
            dt = new double[channels];
            aRe = new double[size];
            aIm = new double[size];
            cRe = new double[size];
            cIm = new double[size];
            zRe = new double[size];
            zIm = new double[size];
            wRe = new double[size];
            wIm = new double[size];
        }
    }
}
