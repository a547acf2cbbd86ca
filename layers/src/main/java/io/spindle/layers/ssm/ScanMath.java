package io.spindle.layers.ssm;

/**
 * The scalar functions of Mamba's scan, in float, each used by both the training scan and the
 * recurrent step so that the two agree bit for bit. The scan evaluates {@code exp(Δ A)} for every
 * batch × time × channel × state element; {@link Math#exp} is a call costing about four times
 * this inline range-reduced polynomial on this machine.
 */
final class ScanMath {
    /** Below this, exp underflows float's normal range; above softplus's threshold, softplus(x) = x (as PyTorch's). */
    private static final float EXP_MIN = -87f;
    private static final float EXP_MAX = 88f;
    private static final float SOFTPLUS_THRESHOLD = 20f;
    private static final float LOG2E = 1.44269504f;
    /** ln 2 = LN2_HI + LN2_LO, LN2_HI with few enough bits that k·LN2_HI is exact for |k| ≤ 128. */
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    /** 1.5·2^23: adding it leaves round(v) in the low mantissa bits. */
    private static final float ROUNDER = 12582912f;
    private static final int ROUNDER_BITS = 0x4B400000;

    private ScanMath() {}

    /**
     * e^x to about 1e-7 relative error (Cephes' expf): x = k ln2 + f with k = round(x/ln2) and
     * |f| ≤ ln2/2, f computed with ln2 split in two so that k·ln2 is exact, e^f by a degree-7
     * polynomial, 2^k put into the exponent bits. Inputs are clamped to [-87, 88].
     */
    static float exp(float x) {
        float v = Math.min(Math.max(x, EXP_MIN), EXP_MAX);
        float shifted = v * LOG2E + ROUNDER;
        int k = Float.floatToRawIntBits(shifted) - ROUNDER_BITS;
        float kf = shifted - ROUNDER;
        float f = v - kf * LN2_HI - kf * LN2_LO;
        float p = 1.9875691500e-4f;
        p = p * f + 1.3981999507e-3f;
        p = p * f + 8.3334519073e-3f;
        p = p * f + 4.1665795894e-2f;
        p = p * f + 1.6666665459e-1f;
        p = p * f + 5.0000001201e-1f;
        p = p * f * f + f + 1f;
        return p * Float.intBitsToFloat((k + 127) << 23);
    }

    /** log(1 + e^x), the step size Δ from its pre-activation; x itself above 20. */
    static float softplus(float x) {
        return x > SOFTPLUS_THRESHOLD ? x : (float) Math.log(1.0 + exp(x));
    }

    static float sigmoid(float x) {
        return 1f / (1f + exp(-x));
    }
}
