package io.spindle.optim.coat;

import io.spindle.optim.fp8.Fp8Format;

import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * COAT's per-group FP8 quantization with dynamic range expansion (Xi et al., "COAT: Compressing
 * Optimizer states and Activation for memory-efficient FP8 Training", 2024, §4.2): each group of
 * G consecutive elements is mapped by {@code |x| -> (|x|/S)^k} before E4M3 rounding, so that the
 * group's own dynamic range max/min is stretched to fill the range E4M3 can hold, then inverted
 * on the way back. With S = sqrt(max·min) and Rx = max/min (both with +1e-20 so zeros work):
 * <pre>
 * k     = floor(16 log2(448^2/2) / log2(Rx)) / 16      (k = 1 when Rx <= 1)
 * scale = (max/S)^k / 448
 * q     = E4M3(sign(x) (|x|/S)^k / scale)
 * x'    = sign(q) (|q| scale)^(1/k) S
 * </pre>
 *
 * <p>What is stored per group is its max (float32, +1e-20 included) and k as a 16-bit code k·16:
 * 6 bytes beside the G code bytes. S and scale cancel out of both directions,
 * {@code (|x|/S)^k / scale = 448 (|x|/max)^k} and {@code (|q| scale)^(1/k) S = (|q|/448)^(1/k) max},
 * so the min is needed only to choose k when quantizing. k is capped at {@link #MAX_K16}/16 (just below 4096),
 * which the formula exceeds only for groups whose magnitudes agree to 0.3 %; a smaller k still
 * inverts, it only leaves part of E4M3's range unused.
 *
 * <p>Why it is fast without a per-element {@code pow}: k is a multiple of 1/16, so a table per k
 * holds {@code (m/448)^(1/k)} for every E4M3 code m: dequantizing is one lookup and one multiply
 * by the group's max. Quantizing reads the same identity backwards: E4M3 rounding picks the code
 * whose rounding interval holds t = 448 (|x|/max)^k, i.e. whose tabulated interval
 * {@code ((b/448)^(1/k)} for the bounds b) holds |x|/max. The code is estimated from a cheap log2
 * and settled by two comparisons with the table, so it equals the exact search; for the usual k
 * the estimate is a direct index on a's float bits ({@link CodeIndex}).
 */
public final class CoatQuantizer {
    /** COAT's default group size. */
    public static final int DEFAULT_GROUP_SIZE = 128;
    /** Added to max and min so that an all-zero group has a finite, positive range. */
    public static final double TINY = 1e-20;
    /** Largest k·16 a group's 16-bit code holds (k = 4095.9375). */
    public static final int MAX_K16 = 0xFFFF;
    /** log2(448^2 / 2): the dynamic range the expansion aims to fill (README formula). */
    private static final double TARGET_LOG2_RANGE = Math.log(448.0 * 448.0 / 2.0) / Math.log(2.0);
    private static final Fp8Format E4M3 = Fp8Format.E4M3;
    private static final int MAX_MAGNITUDE_CODE = E4M3.maxCode();
    private static final double E4M3_MAX = E4M3.max();
    private static final double LOG2_E4M3_MAX = Math.log(E4M3_MAX) / Math.log(2.0);
    private static final AtomicReferenceArray<ExpansionTable> TABLES = new AtomicReferenceArray<>(MAX_K16 + 1);

    private final int groupSize;
    private final GroupCodec codec;

    public CoatQuantizer(int groupSize) {
        this(groupSize, GroupCodec.best());
    }

    /** A quantizer with the given loops (tests compare the scalar and the vector codec). */
    CoatQuantizer(int groupSize, GroupCodec codec) {
        if (groupSize < 1) {
            throw new IllegalArgumentException("COAT group size " + groupSize + " must be positive; "
                    + DEFAULT_GROUP_SIZE + " is the paper's default");
        }
        this.groupSize = groupSize;
        this.codec = codec;
    }

    /** Whether this JVM quantizes with the SIMD codec (started with {@code --add-modules=jdk.incubator.vector}). */
    public static boolean simdCodec() {
        return !(GroupCodec.best() instanceof ScalarGroupCodec);
    }

    /** The codec this JVM quantizes with, for reports: "scalar codec" or "SIMD codec, 16 floats per vector". */
    public static String codecDescription() {
        return GroupCodec.best().describe();
    }

    public int groupSize() {
        return groupSize;
    }

    /** Groups a tensor of {@code n} elements has (the last may be shorter). */
    public int groups(long n) {
        return Math.toIntExact((n + groupSize - 1) / groupSize);
    }

    /**
     * k·16 of a group whose largest and smallest magnitudes (+1e-20) are {@code max} and
     * {@code min}: the README's formula in double, capped at {@link #MAX_K16}.
     */
    public static int k16(float max, float min) {
        return (int) Math.min(uncappedK16(max, min), MAX_K16);
    }

    /** k·16 by the README's formula alone (at least 1), as the earlier max/min layout used it. */
    static double uncappedK16(float max, float min) {
        double ratio = (double) max / min;
        if (!(ratio > 1)) return 16;
        return Math.max(1, Math.floor(16 * TARGET_LOG2_RANGE / (Math.log(ratio) / Math.log(2.0))));
    }

    /** COAT's derived quantities of one group, as the paper and the golden files name them. */
    public record Group(double k, double scale, double center) {}

    /** S, k and scale of a group whose largest and smallest magnitudes (+1e-20) are {@code max} and {@code min}. */
    public static Group group(float max, float min) {
        double center = Math.sqrt((double) max * min);
        double k = k16(max, min) / 16.0;
        return new Group(k, Math.pow(max / center, k) / E4M3_MAX, center);
    }

    /** The k·16 of a stored 16-bit code (codes are unsigned). */
    public static int k16(short code) {
        return code & 0xFFFF;
    }

    /**
     * Quantizes {@code n} values starting at {@code src[srcOffset]}, which are the elements
     * {@code firstElement ..} of a tensor (a multiple of the group size, so groups line up), into
     * {@code codes[codeOffset ..]} and the per-group {@code max} and {@code k16} arrays at
     * {@code firstElement / groupSize ..}.
     */
    public void quantize(float[] src, int srcOffset, int n, long firstElement, byte[] codes, int codeOffset,
                         float[] max, short[] k16) {
        int group = firstGroup(firstElement);
        int[] range = new int[2];
        for (int start = 0; start < n; start += groupSize, group++) {
            int len = Math.min(groupSize, n - start);
            int from = srcOffset + start;
            codec.magnitudeRange(src, from, len, range);
            float groupMax = (float) (Float.intBitsToFloat(range[0]) + TINY);
            int k = k16(groupMax, (float) (Float.intBitsToFloat(range[1]) + TINY));
            max[group] = groupMax;
            k16[group] = (short) k;
            table(k).encode(codec, src, from, len, groupMax, codes, codeOffset + start);
        }
    }

    /** The inverse of {@link #quantize}: dequantizes {@code n} codes of elements {@code firstElement ..} into {@code dst}. */
    public void dequantize(byte[] codes, int codeOffset, int n, long firstElement, float[] max, short[] k16,
                           float[] dst, int dstOffset) {
        int group = firstGroup(firstElement);
        for (int start = 0; start < n; start += groupSize, group++) {
            int len = Math.min(groupSize, n - start);
            codec.decode(codes, codeOffset + start, len, table(k16(k16[group])).values, max[group], dst, dstOffset + start);
        }
    }

    private int firstGroup(long firstElement) {
        if (firstElement % groupSize != 0) {
            throw new IllegalArgumentException("element " + firstElement + " does not start a group of " + groupSize);
        }
        return Math.toIntExact(firstElement / groupSize);
    }

    private static ExpansionTable table(int k16) {
        if (k16 < 1 || k16 > MAX_K16) {
            throw new IllegalArgumentException("COAT k·16 = " + k16 + " is outside [1, " + MAX_K16 + "]");
        }
        ExpansionTable t = TABLES.get(k16);
        if (t == null) {
            t = new ExpansionTable(k16);
            TABLES.compareAndSet(k16, null, t);
        }
        return t;
    }

    /**
     * For one k: {@code values[code]} = sign · (m/448)^(1/k) for every E4M3 byte (sign included, so
     * decoding has no branch), and {@code lower[c]} = ((b/448)^(1/k) for the rounding bound b
     * between magnitudes c-1 and c (their midpoint; round-to-nearest ties, which the bound itself
     * would be, do not arise in practice and go down), with {@code lower[0] = -inf} and +inf from
     * {@code lower[127]} on, so magnitude code c holds exactly the a with lower[c] < a <= lower[c+1].
     */
    private static final class ExpansionTable {
        /** sign · (m/448)^(1/k) rounded to float: decoding is values[code] · max in float (one rounding more than double, same on every path). */
        final float[] values = new float[256];
        final double[] lower = new double[MAX_MAGNITUDE_CODE + 3];
        final double k;
        /** The direct index for k in [3/16, 16] (nearly every group of Adam's moments), else null. */
        final CodeIndex index;

        ExpansionTable(int k16) {
            double inverseK = 16.0 / k16;
            k = k16 / 16.0;
            for (int code = 0; code < 256; code++) {
                double m = E4M3.decode((byte) code);
                values[code] = (float) Math.copySign(Math.pow(Math.abs(m) / E4M3_MAX, inverseK), m);
            }
            java.util.Arrays.fill(lower, Double.POSITIVE_INFINITY);
            lower[0] = Double.NEGATIVE_INFINITY;
            for (int c = 1; c <= MAX_MAGNITUDE_CODE; c++) {
                double bound = (E4M3.decode((byte) (c - 1)) + E4M3.decode((byte) c)) / 2;
                lower[c] = Math.pow(bound / E4M3_MAX, inverseK);
            }
            index = CodeIndex.of(lower, MAX_MAGNITUDE_CODE, k);
        }

        /** Codes of {@code len} values from {@code src[from]}, whose group's max is {@code groupMax}. */
        void encode(GroupCodec codec, float[] src, int from, int len, float groupMax, byte[] codes, int codeFrom) {
            double inverseMax = 1.0 / groupMax;
            if (index != null) {
                codec.encode(src, from, len, groupMax, inverseMax, index, lower, k, codes, codeFrom);
                return;
            }
            for (int i = 0; i < len; i++) {
                float x = src[from + i];
                int c = magnitudeCode(Math.abs(x) * inverseMax);
                codes[codeFrom + i] = (byte) ((Float.floatToRawIntBits(x) >>> 24 & 0x80) | c);
            }
        }

        /**
         * The magnitude code of a = |x|/max where there is no {@link CodeIndex}. Normal E4M3 codes sit at position
         * p = 8 (E + 6) + 8 · 2^f of t = 2^(E+f), and the code is p rounded; the estimate of p from
         * a cubic log2 and a quadratic 2^f is off by less than 0.5 for k < 45, so the code is one
         * of the three from floor(p - 1/2), which two comparisons pick. A check against the table
         * catches every other case (subnormal codes, larger k), which the walk settles exactly.
         */
        int magnitudeCode(double a) {
            int c = 0;
            if (a > 0) {
                long bits = Double.doubleToRawLongBits(a);
                int exponent = (int) (bits >>> 52) - 1023;
                double m = (bits & 0xF_FFFF_FFFF_FFFFL) * 0x1p-52;
                // minimax cubic of log2(1 + m) on [0, 1), exact at both ends, error < 0.0009
                double log2 = exponent + m * (1.4228652686534684 + m * (-0.5820852972482334 + m * 0.15922002859476503));
                double l = LOG2_E4M3_MAX + k * log2;
                if (l >= -6) {
                    int e = (int) (l + 6) - 6; // floor(l) for l >= -6, cheaper than Math.floor
                    double f = l - e;
                    // quadratic 2^f on [0, 1), exact at both ends, error < 0.004
                    double p = 8 * (e + 6) + 8 * (1 + f * (0.6557133670634543 + f * 0.3442866329365457));
                    c = Math.min(MAX_MAGNITUDE_CODE, (int) (p - 0.5));
                    c += (a > lower[c + 1] ? 1 : 0) + (a > lower[c + 2] ? 1 : 0);
                }
            }
            if (a > lower[c] && a <= lower[c + 1]) return c;
            while (c < MAX_MAGNITUDE_CODE && a > lower[c + 1]) c++;
            while (c > 0 && a <= lower[c]) c--;
            return c;
        }
    }
}
