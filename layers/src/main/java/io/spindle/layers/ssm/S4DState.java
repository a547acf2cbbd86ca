package io.spindle.layers.ssm;

/**
 * The recurrent state of an {@link S4D} layer during generation: per sequence, channel and mode
 * the complex {@code s_n = Σ_k z_n^k u[t−k]}, in double, with the discretization taken when the
 * state was made (parameters do not change while generating).
 */
public final class S4DState {
    private final S4DKernel.Modes modes;
    private final float[] skip;
    private final int batch;
    private final int channels;
    private final int perChannel;
    private final double[] sRe;
    private final double[] sIm;

    S4DState(S4DKernel.Modes modes, float[] skip, int batch, int channels, int perChannel) {
        this.modes = modes;
        this.skip = skip;
        this.batch = batch;
        this.channels = channels;
        this.perChannel = perChannel;
        this.sRe = new double[batch * channels * perChannel];
        this.sIm = new double[batch * channels * perChannel];
    }

    public int batch() { return batch; }

    /** u, y: [batch · channels], sequence-major. */
    void step(float[] u, float[] y) {
        if (u.length != batch * channels || y.length != batch * channels) {
            throw new IllegalArgumentException("S4D step needs u and y of batch*channels = " + batch * channels
                    + " values, got " + u.length + " and " + y.length);
        }
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < channels; h++) {
                int i = b * channels + h;
                double in = u[i];
                double out = 0;
                for (int n = 0; n < perChannel; n++) {
                    int m = h * perChannel + n;
                    int s = i * perChannel + n;
                    double re = modes.zRe[m] * sRe[s] - modes.zIm[m] * sIm[s] + in;
                    double im = modes.zRe[m] * sIm[s] + modes.zIm[m] * sRe[s];
                    sRe[s] = re;
                    sIm[s] = im;
                    out += modes.wRe[m] * re - modes.wIm[m] * im;
                }
                y[i] = (float) (2 * out + skip[h] * in);
            }
        }
    }
}
