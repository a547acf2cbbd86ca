package io.spindle.optim.coat;

/** {@link GroupCodec} in plain Java: the definition {@link VectorGroupCodec} reproduces. */
final class ScalarGroupCodec extends GroupCodec {
    @Override
    String describe() {
        return "scalar codec";
    }

    @Override
    void magnitudeRange(float[] src, int from, int len, int[] range) {
        finishRange(src, from, from + len, 0, Integer.MAX_VALUE, range);
    }

    @Override
    void encode(float[] src, int from, int len, float groupMax, double inverseMax, CodeIndex index, double[] lower,
                double k, byte[] codes, int codeFrom) {
        index.encode(src, from, len, inverseMax, lower, codes, codeFrom);
    }
}
