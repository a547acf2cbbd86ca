package io.spindle.layers.ssm;

import io.spindle.layers.core.Parallel;
import org.jtransforms.fft.FloatFFT_1D;
import pl.edu.icm.jlargearrays.ConcurrencyUtils;

/**
 * Per-channel causal convolution {@code y[b,h,t] = Σ_{s≤t} k[h,s] u[b,h,t−s]} of {@code batch}
 * sequences of {@code channels} channels and {@code length} steps, by FFT: both signals are
 * zero-padded to a power of two n ≥ 2·length (so the circular product has no wrap-around), and
 * {@code y = irfft(rfft(u) · rfft(k))[0, length)}. O(L log L) per channel instead of O(L²).
 *
 * <p>Backward is the adjoint, correlation with the same spectra:
 * {@code du = irfft(rfft(dy) · conj(rfft(k)))} and {@code dk = Σ_b irfft(rfft(dy) · conj(rfft(u)))},
 * restricted to [0, length). The forward keeps the spectra of u and k for it (2n floats per
 * sequence and channel). Work is split over channels, so the per-channel sum over the batch in dk
 * needs no synchronization. Arrays are [batch, channels, length], c-order.
 */
final class CausalFftConvolution {
    static {
        // Spindle splits the work over channels itself; JTransforms' own threads would oversubscribe.
        ConcurrencyUtils.setNumberOfThreads(1);
    }

    private final int channels;
    private final FloatFFT_1D[] fftPerChunk = new FloatFFT_1D[Parallel.threads()];
    private final float[][] workPerChunk = new float[Parallel.threads()][];
    private int batch;
    private int length;
    private int n;
    private float[] uSpectra;
    private float[] kSpectra;

    CausalFftConvolution(int channels) {
        this.channels = channels;
    }

    /** y = u ∗ k per channel; u, y: [batch, channels, length], k: [channels, length]. */
    void forward(float[] u, float[] k, int batch, int length, float[] y) {
        this.batch = batch;
        this.length = length;
        int size = 2;
        while (size < 2 * length) size <<= 1;
        this.n = size;
        int specSize = batch * channels * n;
        if (uSpectra == null || uSpectra.length != specSize) uSpectra = new float[specSize];
        if (kSpectra == null || kSpectra.length != channels * n) kSpectra = new float[channels * n];
        Parallel.forRange(channels, 1, (chunk, from, to) -> {
            FloatFFT_1D fft = fft(chunk);
            float[] work = work(chunk);
            for (int h = from; h < to; h++) {
                int kAt = h * n;
                spectrum(fft, k, h * length, kSpectra, kAt);
                for (int b = 0; b < batch; b++) {
                    int seq = b * channels + h;
                    spectrum(fft, u, seq * length, uSpectra, seq * n);
                    multiply(uSpectra, seq * n, kSpectra, kAt, false, work);
                    fft.realInverse(work, true);
                    System.arraycopy(work, 0, y, seq * length, length);
                }
            }
        });
    }

    /** From dy (same layout as y): du (overwritten) and dk [channels, length] (overwritten). */
    void backward(float[] dy, float[] du, float[] dk) {
        if (uSpectra == null) throw new IllegalStateException("convolution backward() before forward()");
        Parallel.forRange(channels, 1, (chunk, from, to) -> {
            FloatFFT_1D fft = fft(chunk);
            float[] work = work(chunk);
            float[] dySpectrum = new float[n];
            float[] dkSpectrum = new float[n];
            for (int h = from; h < to; h++) {
                java.util.Arrays.fill(dkSpectrum, 0f);
                for (int b = 0; b < batch; b++) {
                    int seq = b * channels + h;
                    spectrum(fft, dy, seq * length, dySpectrum, 0);
                    multiply(dySpectrum, 0, kSpectra, h * n, true, work);
                    fft.realInverse(work, true);
                    System.arraycopy(work, 0, du, seq * length, length);
                    multiply(dySpectrum, 0, uSpectra, seq * n, true, work);
                    for (int i = 0; i < n; i++) dkSpectrum[i] += work[i];
                }
                fft.realInverse(dkSpectrum, true);
                System.arraycopy(dkSpectrum, 0, dk, h * length, length);
            }
        });
    }

    /** The zero-padded signal src[at, at+length) transformed into dst[dstAt, dstAt+n). */
    private void spectrum(FloatFFT_1D fft, float[] src, int at, float[] dst, int dstAt) {
        System.arraycopy(src, at, dst, dstAt, length);
        java.util.Arrays.fill(dst, dstAt + length, dstAt + n, 0f);
        fft.realForward(dst, dstAt);
    }

    /**
     * out = a · b (or a · conj(b)) for two spectra in JTransforms' packed real layout: [0] and [1]
     * hold the real DC and Nyquist terms, then (re, im) pairs for frequencies 1 … n/2−1.
     */
    private void multiply(float[] a, int aAt, float[] b, int bAt, boolean conjugateB, float[] out) {
        out[0] = a[aAt] * b[bAt];
        out[1] = a[aAt + 1] * b[bAt + 1];
        float sign = conjugateB ? -1f : 1f;
        for (int i = 2; i < n; i += 2) {
            float ar = a[aAt + i], ai = a[aAt + i + 1];
            float br = b[bAt + i], bi = sign * b[bAt + i + 1];
            out[i] = ar * br - ai * bi;
            out[i + 1] = ar * bi + ai * br;
        }
    }

    private FloatFFT_1D fft(int chunk) {
        if (fftPerChunk[chunk] == null || workPerChunk[chunk] == null || workPerChunk[chunk].length != n) {
            fftPerChunk[chunk] = new FloatFFT_1D(n);
            workPerChunk[chunk] = new float[n];
        }
        return fftPerChunk[chunk];
    }

    private float[] work(int chunk) {
        return workPerChunk[chunk];
    }
}
