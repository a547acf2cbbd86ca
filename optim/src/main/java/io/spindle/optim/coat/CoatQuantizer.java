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
 * <p>What is stored per group is only its max and min (float32, +1e-20 included); S, k and scale
 * are recomputed from them in double, identically when quantizing and dequantizing. That is
 * 8 bytes per group beside the G code bytes.
 *
 * <p>Why it is fast without a per-element {@code pow}: k is a multiple of 1/16, and
 * {@code (|q| scale)^(1/k) S = |q|^(1/k) · (scale^(1/k) S)}. The first factor depends on k and the
 * code only (a table per k), the second is one constant per group. Quantizing is the same
 * identity read backwards: E4M3 rounding picks the code whose rounding interval holds t, and
 * {@code t > b} is {@code |x| > b^(1/k) · scale^(1/k) S}, so the code is found by comparing
 * |x| / constant with the tabulated interval bounds {@code b^(1/k)}, starting from a cheap
 * estimate. Both directions then cost a few float operations per element.
 */
public final class CoatQuantizer {
    /** COAT's default group size. */
    public static final int DEFAULT_GROUP_SIZE = 128;
    /** Added to max and min so that an all-zero group has a finite, positive range. */
    public static final double TINY = 1e-20;
    /** log2(448^2 / 2): the dynamic range the expansion aims to fill (README formula). */
    private static final double TARGET_LOG2_RANGE = Math.log(448.0 * 448.0 / 2.0) / Math.log(2.0);
    private static final Fp8Format E4M3 = Fp8Format.E4M3;
    private static final int CODES = E4M3.maxCode() + 1;
    private static final int MAX_MAGNITUDE_CODE = E4M3.maxCode();
    /** Tables for k·16 below this are cached; larger k (groups whose values are nearly equal) are rare. */
    private static final int CACHED_K16 = 4096;
    private static final AtomicReferenceArray<ExpansionTable> TABLES = new AtomicReferenceArray<>(CACHED_K16);

    private final int groupSize;

    public CoatQuantizer(int groupSize) {
        if (groupSize < 1) {
            throw new IllegalArgumentException("COAT group size " + groupSize + " must be positive; "
                    + DEFAULT_GROUP_SIZE + " is the paper's default");
        }
        this.groupSize = groupSize;
    }

    public int groupSize() {
        return groupSize;
    }

    /** Groups a tensor of {@code n} elements has (the last may be shorter). */
    public int groups(long n) {
        return Math.toIntExact((n + groupSize - 1) / groupSize);
    }

    /** The derived quantities of one group, from its stored max and min (both +1e-20). */
    public record Group(double k, double scale, double center) {
        /** scale^(1/k) · S: the per-group constant of both directions. */
        double constant() {
            return Math.pow(scale, 1.0 / k) * center;
        }

        /** k · 16, an integer by construction. */
        int k16() {
            return (int) Math.round(k * 16);
        }
    }

    /** S, k and scale of a group whose largest and smallest magnitudes (+1e-20) are {@code max} and {@code min}. */
    public static Group group(float max, float min) {
        double hi = max;
        double lo = min;
        double center = Math.sqrt(hi * lo);
        double ratio = hi / lo;
        double k = 1.0;
        if (ratio > 1) {
            double k16 = Math.floor(16 * TARGET_LOG2_RANGE / (Math.log(ratio) / Math.log(2.0)));
            // a group of equal magnitudes gives an unbounded k; any k >= 1/16 inverts exactly, so cap it
            k = Math.max(1, Math.min(k16, Integer.MAX_VALUE / 2.0)) / 16;
        }
        double scale = Math.pow(hi / center, k) / E4M3.max();
        return new Group(k, scale, center);
    }

    /**
     * Quantizes {@code n} values starting at {@code src[srcOffset]}, which are the elements
     * {@code firstElement ..} of a tensor (a multiple of the group size, so groups line up), into
     * {@code codes[codeOffset ..]} and the per-group {@code max}/{@code min} arrays at
     * {@code firstElement / groupSize ..}.
     */
    public void quantize(float[] src, int srcOffset, int n, long firstElement, byte[] codes, int codeOffset,
                         float[] max, float[] min) {
        int group = firstGroup(firstElement);
        for (int start = 0; start < n; start += groupSize, group++) {
            int len = Math.min(groupSize, n - start);
            float hi = 0f;
            float lo = Float.POSITIVE_INFINITY;
            for (int i = 0; i < len; i++) {
                float a = Math.abs(src[srcOffset + start + i]);
                hi = Math.max(hi, a);
                lo = Math.min(lo, a);
            }
            max[group] = (float) (hi + TINY);
            min[group] = (float) (lo + TINY);
            Group g = group(max[group], min[group]);
            double[] bounds = table(g.k16()).bounds;
            double inverse = 1.0 / g.constant();
            double eightK = 8 * g.k();
            for (int i = 0; i < len; i++) {
                float x = src[srcOffset + start + i];
                double a = Math.abs(x) * inverse;
                codes[codeOffset + start + i] =
                        (byte) ((Float.floatToRawIntBits(x) >>> 24 & 0x80) | codeOf(bounds, a, eightK));
            }
        }
    }

    /** The inverse of {@link #quantize}: dequantizes {@code n} codes of elements {@code firstElement ..} into {@code dst}. */
    public void dequantize(byte[] codes, int codeOffset, int n, long firstElement, float[] max, float[] min,
                           float[] dst, int dstOffset) {
        int group = firstGroup(firstElement);
        for (int start = 0; start < n; start += groupSize, group++) {
            int len = Math.min(groupSize, n - start);
            Group g = group(max[group], min[group]);
            double[] magnitudes = table(g.k16()).magnitudes;
            double constant = g.constant();
            for (int i = 0; i < len; i++) {
                int code = codes[codeOffset + start + i];
                double v = magnitudes[code & 0x7F] * constant;
                dst[dstOffset + start + i] = (float) (code < 0 ? -v : v);
            }
        }
    }

    private int firstGroup(long firstElement) {
        if (firstElement % groupSize != 0) {
            throw new IllegalArgumentException("element " + firstElement + " does not start a group of " + groupSize);
        }
        return Math.toIntExact(firstElement / groupSize);
    }

    /**
     * The E4M3 magnitude code c of a (in units of the group constant): the one with
     * bounds[c-1] < a <= bounds[c]. An estimate from an approximate log2 (normal E4M3 codes are
     * 8 (log2 t + 7) with t = a^k) lands within a code or two; the two walks then make it exact
     * whatever the estimate was, so correctness never depends on the approximation. A plain binary
     * search was 3x slower: its seven loads depend on each other.
     */
    private static int codeOf(double[] bounds, double a, double eightK) {
        int c = 0;
        if (a > 0) {
            int bits = Float.floatToRawIntBits((float) a);
            int exponent = ((bits >>> 23) & 0xFF) - 127;
            float m = (bits & 0x7F_FFFF) * 0x1p-23f;
            // log2(1 + m) ~= m (4/3 - m/3): exact at both ends, within 0.01 between
            double log2 = exponent + m * (4f / 3f - m / 3f);
            c = (int) Math.max(0, Math.min(MAX_MAGNITUDE_CODE, eightK * log2 + 56));
        }
        while (c < MAX_MAGNITUDE_CODE && a > bounds[c]) c++;
        while (c > 0 && a <= bounds[c - 1]) c--;
        return c;
    }

    private static ExpansionTable table(int k16) {
        if (k16 >= CACHED_K16) return new ExpansionTable(k16);
        ExpansionTable t = TABLES.get(k16);
        if (t == null) {
            t = new ExpansionTable(k16);
            TABLES.compareAndSet(k16, null, t);
        }
        return t;
    }

    /**
     * For one k: {@code magnitudes[c] = m_c^(1/k)} for every E4M3 magnitude m_c, and
     * {@code bounds[c] = b_c^(1/k)} for the rounding bound b_c between m_c and m_(c+1) (their
     * midpoint; round-to-nearest ties, which the bound itself would be, do not arise in practice
     * and go down). {@code bounds} has 128 entries, the last two +inf, so the search saturates at
     * the max code.
     */
    private static final class ExpansionTable {
        final double[] magnitudes = new double[128];
        final double[] bounds = new double[128];

        ExpansionTable(int k16) {
            double inverseK = 16.0 / k16;
            java.util.Arrays.fill(bounds, Double.POSITIVE_INFINITY);
            for (int c = 0; c < CODES; c++) {
                double m = E4M3.decode((byte) c);
                magnitudes[c] = Math.pow(m, inverseK);
                if (c + 1 < CODES) {
                    double next = E4M3.decode((byte) (c + 1));
                    bounds[c] = Math.pow((m + next) / 2, inverseK);
                }
            }
        }
    }
}
