package io.spindle.optim.coat;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The SIMD codec (Java's Vector API, {@code jdk.incubator.vector}): the same codes and values as
 * {@link ScalarGroupCodec}, bit for bit, a vector of lanes at a time. Loaded only where the JVM
 * was started with {@code --add-modules jdk.incubator.vector} ({@link GroupCodec#best()}).
 *
 * <p><b>Quantizing</b> computes the E4M3 code of t = 448 (|x|/max)^k arithmetically instead of
 * looking it up (gathers are slow: three per value cost more than the whole computation):
 * log2(|x|/max) from the float's exponent and a degree-7 polynomial of its mantissa, times k,
 * plus log2 448; 2^y by rounding y to an integer n (adding 1.5·2^23) and a degree-5 polynomial of
 * the rest; then E4M3's round-to-nearest on t's float bits (add 0x7FFFF plus the kept lowest bit,
 * keep the top 3 mantissa bits). Subnormal codes (t < 2^-6) round t + 2^-6 the same way: its
 * top 3 mantissa bits are t's multiple of 2^-9. The arithmetic is good to about 4e-6 relative
 * (k ≤ 16); the scalar path compares with bounds in double, so wherever t's discarded bits are
 * within 2^9 units (≥ 3e-5 relative) of a rounding tie, the whole vector is quantized by the scalar
 * path instead (about 1.5 % of vectors for Adam-like values). So the codes are exactly the scalar
 * path's: {@code VectorGroupCodecTest} compares both on millions of values for every k.
 *
 * <p>Dequantizing stays {@link GroupCodec#decode}'s scalar loop: a gather from the 256-entry table
 * measured slower (0.63 against 0.57 ns per value) than the scalar lookups.
 */
final class VectorGroupCodec extends GroupCodec {
    private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = FLOATS.length();
    private static final VectorSpecies<Integer> INTS = VectorSpecies.of(int.class, VectorShape.forBitSize(LANES * 32));
    private static final VectorSpecies<Byte> BYTES = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, LANES * 8)));

    /** log2 448: t = 2^(log2 448 + k log2 a). */
    private static final float LOG2_E4M3_MAX = (float) (Math.log(448) / Math.log(2));
    /** log2(1 + u) = u (L1 + u (L2 + ...)) on [sqrt(1/2) - 1, sqrt(2) - 1], error < 3.4e-7 (least squares on Chebyshev nodes). */
    private static final float L1 = 1.4427010124765922f, L2 = -0.7213684027867253f, L3 = 0.4804022607630297f,
            L4 = -0.3592034777210326f, L5 = 0.2982614487026817f, L6 = -0.27093152119182723f, L7 = 0.16517829562612918f;
    /** 2^f on [-1/2, 1/2], relative error < 1.1e-7. */
    private static final float X0 = 1.00000007551422f, X1 = 0.6931472067162218f, X2 = 0.2402210726525207f,
            X3 = 0.055503272022609317f, X4 = 0.009676041928717861f, X5 = 0.0013400436944671062f;
    /** y + 1.5·2^23 rounds y to an integer held in the low mantissa bits. */
    private static final float ROUNDER = 12582912f;
    private static final int ROUNDER_BITS = Float.floatToRawIntBits(ROUNDER);
    private static final int SQRT2_BITS = Float.floatToRawIntBits((float) Math.sqrt(2));
    private static final float MIN_NORMAL = 0x1p-6f;
    private static final int MIN_NORMAL_BITS = Float.floatToRawIntBits(MIN_NORMAL);
    /** Discarded bits this close to the tie (of 2^20) send the vector to the scalar path. */
    private static final int TIE_MARGIN = 1 << 9;
    /** Below this y, t < 2^-30 is code 0 and 2^n stays a normal float. */
    private static final float MIN_LOG2 = -30f;

    /** Whether the vectors this JVM prefers are wide enough for this codec (8 or 16 floats: AVX2, AVX-512). */
    static boolean supported() {
        return LANES >= 8 && INTS.length() == LANES && BYTES.length() == LANES;
    }

    @Override
    String describe() {
        return "SIMD codec, " + LANES + " floats per vector";
    }

    @Override
    void magnitudeRange(float[] src, int from, int len, int[] range) {
        int i = 0;
        int hi = 0;
        int lo = Integer.MAX_VALUE;
        if (len >= LANES) {
            IntVector high = IntVector.zero(INTS);
            IntVector low = IntVector.broadcast(INTS, Integer.MAX_VALUE);
            for (; i <= len - LANES; i += LANES) {
                IntVector magnitude = FloatVector.fromArray(FLOATS, src, from + i).reinterpretAsInts().and(0x7FFF_FFFF);
                high = high.max(magnitude);
                low = low.min(magnitude);
            }
            hi = high.reduceLanes(VectorOperators.MAX);
            lo = low.reduceLanes(VectorOperators.MIN);
        }
        finishRange(src, from + i, from + len, hi, lo, range);
    }

    @Override
    void encode(float[] src, int from, int len, float groupMax, double inverseMax, CodeIndex index, double[] lower,
                double k, byte[] codes, int codeFrom) {
        if (!Float.isFinite(groupMax)) {
            // NaN or infinity in the group: the scalar path's rules, element by element
            index.encode(src, from, len, inverseMax, lower, codes, codeFrom);
            return;
        }
        float inverse = (float) inverseMax;
        float kf = (float) k;
        int i = 0;
        for (; i <= len - LANES; i += LANES) {
            FloatVector x = FloatVector.fromArray(FLOATS, src, from + i);
            IntVector t = expanded(x.abs().mul(inverse), kf);
            // E4M3 subnormals (t < 2^-6) are the top mantissa bits of t + 2^-6, less the 8 of 2^-6
            VectorMask<Integer> subnormal = t.compare(VectorOperators.LT, MIN_NORMAL_BITS);
            t = t.blend(t.reinterpretAsFloats().add(MIN_NORMAL).reinterpretAsInts(), subnormal);
            IntVector discarded = t.and(0xF_FFFF);
            if (discarded.sub(0x8_0000).abs().compare(VectorOperators.LT, TIE_MARGIN).anyTrue()) {
                index.encode(src, from + i, LANES, inverseMax, lower, codes, codeFrom + i);
                continue;
            }
            IntVector rounded = t.add(t.lanewise(VectorOperators.LSHR, 20).and(1)).add(0x7_FFFF);
            IntVector code = rounded.lanewise(VectorOperators.ASHR, 20).sub((127 - 7) << 3).min(MAX_CODE)
                    .sub(8, subnormal);
            IntVector sign = x.reinterpretAsInts().lanewise(VectorOperators.LSHR, 24).and(0x80);
            code.or(sign).convertShape(VectorOperators.I2B, BYTES, 0).reinterpretAsBytes().intoArray(codes, codeFrom + i);
        }
        if (i < len) index.encode(src, from + i, len - i, inverseMax, lower, codes, codeFrom + i);
    }

    /** The float bits of t = 448 a^k (a in [0, 1]), to about 4e-6 relative, at least 2^-30. */
    private static IntVector expanded(FloatVector a, float k) {
        IntVector bits = a.reinterpretAsInts();
        IntVector exponent = bits.lanewise(VectorOperators.LSHR, 23);
        IntVector mantissa = bits.and(0x7F_FFFF).or(0x3F80_0000); // a's mantissa as a float in [1, 2)
        VectorMask<Integer> upper = mantissa.compare(VectorOperators.GT, SQRT2_BITS);
        mantissa = mantissa.sub(1 << 23, upper); // halved: in [sqrt(1/2), sqrt(2)), where the polynomial is accurate
        exponent = exponent.add(1, upper);
        FloatVector u = mantissa.reinterpretAsFloats().sub(1f);
        FloatVector log2Mantissa = u.fma(L7, L6).fma(u, FloatVector.broadcast(FLOATS, L5))
                .fma(u, FloatVector.broadcast(FLOATS, L4)).fma(u, FloatVector.broadcast(FLOATS, L3))
                .fma(u, FloatVector.broadcast(FLOATS, L2)).fma(u, FloatVector.broadcast(FLOATS, L1)).mul(u);
        FloatVector e = (FloatVector) exponent.sub(127).convert(VectorOperators.I2F, 0);
        // k·e is exact (k a multiple of 1/16); a = 0 and float subnormals give y far below -30: code 0
        FloatVector y = e.mul(k).add(log2Mantissa.fma(k, LOG2_E4M3_MAX)).max(MIN_LOG2);
        FloatVector rounder = y.add(ROUNDER);
        IntVector n = rounder.reinterpretAsInts().sub(ROUNDER_BITS);
        FloatVector f = y.sub(rounder.sub(ROUNDER));
        FloatVector power = f.fma(X5, X4).fma(f, FloatVector.broadcast(FLOATS, X3))
                .fma(f, FloatVector.broadcast(FLOATS, X2)).fma(f, FloatVector.broadcast(FLOATS, X1))
                .fma(f, FloatVector.broadcast(FLOATS, X0));
        return power.reinterpretAsInts().add(n.lanewise(VectorOperators.LSHL, 23));
    }
}
