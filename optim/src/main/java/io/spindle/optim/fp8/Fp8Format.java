package io.spindle.optim.fp8;

/**
 * The two OCP 8-bit floating-point formats (OCP "8-bit Floating Point Specification", 2023), as
 * bytes: bit 7 is the sign, then the exponent, then the mantissa. ND4J has no FP8 type, so Spindle
 * stores FP8 values as {@code byte}s and converts with integer arithmetic on the float32 bits (no
 * per-element objects, no table search).
 *
 * <p>Rounding is to nearest with ties to even; values beyond the largest finite magnitude saturate
 * to it (E4M3 has no infinity, and COAT clips E5M2 the same way); subnormals are kept. NaN maps to
 * the format's NaN code. For both formats the unsigned codes 0..max are monotone in magnitude, and
 * the subnormal codes continue into the normal ones (subnormal step × 2^mantissaBits = smallest
 * normal), which {@link #encode} relies on.
 */
public enum Fp8Format {
    /** 4 exponent bits (bias 7), 3 mantissa bits: max 448, smallest subnormal 2^-9. */
    E4M3(3, 7, 0x7E, 0x7F),
    /** 5 exponent bits (bias 15), 2 mantissa bits: max 57344, smallest subnormal 2^-16. */
    E5M2(2, 15, 0x7B, 0x7F);

    private final int mantissaBits;
    private final int bias;
    /** Unsigned code of the largest finite magnitude. */
    private final int maxCode;
    private final int nanCode;
    /** The float32 exponent-field value of the smallest normal FP8 magnitude, 2^(1 - bias). */
    private final int minNormalFloatExponent;
    /** 1 / (subnormal step) = 2^(bias - 1 + mantissaBits): subnormal magnitude × this = its code. */
    private final float inverseSubnormalStep;
    private final float[] decodeTable = new float[256];

    Fp8Format(int mantissaBits, int bias, int maxCode, int nanCode) {
        this.mantissaBits = mantissaBits;
        this.bias = bias;
        this.maxCode = maxCode;
        this.nanCode = nanCode;
        this.minNormalFloatExponent = 127 + 1 - bias;
        this.inverseSubnormalStep = (float) Math.scalb(1.0, bias - 1 + mantissaBits);
        for (int code = 0; code < 256; code++) {
            decodeTable[code] = slowDecode(code);
        }
    }

    /** The largest finite magnitude (448 or 57344). */
    public float max() {
        return decodeTable[maxCode];
    }

    /** The unsigned code of {@link #max()}; codes 0..maxCode are the finite magnitudes in increasing order. */
    public int maxCode() {
        return maxCode;
    }

    /** The value of an FP8 byte. */
    public float decode(byte code) {
        return decodeTable[code & 0xFF];
    }

    /** The FP8 byte nearest to {@code x} (ties to even), saturating at ±{@link #max()}. */
    public byte encode(float x) {
        int bits = Float.floatToRawIntBits(x);
        int sign = (bits >>> 24) & 0x80;
        int abs = bits & 0x7FFF_FFFF;
        if (abs > 0x7F80_0000) return (byte) (sign | nanCode);
        return (byte) (sign | magnitudeCode(abs));
    }

    /** Decodes {@code n} bytes into {@code out}. */
    public void decode(byte[] codes, int codeOffset, float[] out, int outOffset, int n) {
        for (int i = 0; i < n; i++) {
            out[outOffset + i] = decodeTable[codes[codeOffset + i] & 0xFF];
        }
    }

    /** Encodes {@code n} floats into {@code out}. */
    public void encode(float[] values, int valueOffset, byte[] out, int outOffset, int n) {
        for (int i = 0; i < n; i++) {
            out[outOffset + i] = encode(values[valueOffset + i]);
        }
    }

    /** Unsigned code of a non-NaN magnitude given by its float32 bits (infinity saturates). */
    private int magnitudeCode(int abs) {
        int exponent = abs >>> 23;
        if (exponent < minNormalFloatExponent) {
            // Subnormal in FP8: the code is the magnitude in units of the subnormal step, rounded
            // half to even by rint; the product is exact (a power-of-two scale), so is the rounding.
            return (int) Math.rint(Float.intBitsToFloat(abs) * inverseSubnormalStep);
        }
        int shift = 23 - mantissaBits;
        // Round the mantissa to nearest even in the bit domain; a carry correctly bumps the exponent.
        int rounded = (abs + (1 << (shift - 1)) - 1 + ((abs >>> shift) & 1)) >>> shift;
        int code = rounded - ((127 - bias) << mantissaBits);
        return Math.min(code, maxCode);
    }

    /** The value of a code, from the bit fields: the reference {@link #decode} tabulates. */
    private float slowDecode(int code) {
        int magnitude = code & 0x7F;
        double sign = (code & 0x80) != 0 ? -1 : 1;
        if (magnitude > maxCode) {
            // E5M2 keeps IEEE's infinity just above its max; every other code above max is NaN.
            boolean infinity = magnitude == maxCode + 1 && magnitude != nanCode;
            return infinity ? (float) (sign * Double.POSITIVE_INFINITY) : Float.NaN;
        }
        int exponent = magnitude >>> mantissaBits;
        int mantissa = magnitude & ((1 << mantissaBits) - 1);
        double value = exponent == 0
                ? Math.scalb((double) mantissa, 1 - bias - mantissaBits)
                : Math.scalb(1.0 + Math.scalb((double) mantissa, -mantissaBits), exponent - bias);
        return (float) (sign * value);
    }
}
