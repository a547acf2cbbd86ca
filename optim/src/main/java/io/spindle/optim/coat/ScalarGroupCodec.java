package io.spindle.optim.coat;

/** {@link GroupCodec} in plain Java: the definition {@link VectorGroupCodec} reproduces. */
final class ScalarGroupCodec extends GroupCodec {
    @Override
    int magnitudeRange(float[] src, int from, int len, int[] range) {
        // int max and min on the float bits cost about half of Math.max/min on floats
        int hi = 0;
        int lo = Integer.MAX_VALUE;
        for (int i = from; i < from + len; i++) {
            int magnitude = Float.floatToRawIntBits(src[i]) & 0x7FFF_FFFF;
            hi = Math.max(hi, magnitude);
            lo = Math.min(lo, magnitude);
        }
        range[0] = hi;
        range[1] = lo;
        return hi;
    }

    @Override
    void encode(float[] src, int from, int len, float groupMax, double inverseMax, CodeIndex index, double[] lower,
                double k, byte[] codes, int codeFrom) {
        index.encode(src, from, len, inverseMax, lower, codes, codeFrom);
    }
}
