package io.spindle.parallel.comm;

/**
 * bfloat16 is the upper half of a float32, so conversion is a shift; rounding is to nearest, ties to
 * even (the rule of IEEE 754 and of PyTorch's {@code .bfloat16()}), so the wire error is unbiased.
 */
final class Bf16 {
    private Bf16() {}

    static short fromFloat(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            // keep NaN a NaN: truncating could clear every mantissa bit and yield infinity
            return (short) ((bits >>> 16) | 0x0040);
        }
        int lsb = (bits >>> 16) & 1;
        return (short) ((bits + 0x7fff + lsb) >>> 16);
    }

    static float toFloat(short h) {
        return Float.intBitsToFloat((h & 0xffff) << 16);
    }

    /** The float32 value nearest to f that bf16 can represent. */
    static float round(float f) {
        return toFloat(fromFloat(f));
    }
}
