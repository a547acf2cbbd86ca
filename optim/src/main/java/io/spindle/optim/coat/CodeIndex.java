package io.spindle.optim.coat;

/**
 * For one k, a direct index from a = |x|/max (in [0, 1]) to the E4M3 magnitude code, so that
 * quantizing costs one table load and two comparisons per element instead of a search.
 *
 * <p>The index is the float32 bits of a shifted right: its exponent and top B mantissa bits, a
 * bucket 2^-B of an octave wide (at most 1.44 · 2^-B in log2). Each bucket stores the code just
 * below it, and B is the smallest that leaves at most two of the table's rounding bounds in any
 * bucket, so the exact code is that one or the next two: {@code c + [a > lower[c + 1]] +
 * [a > lower[c + 2]]} settles it, against the same double bounds as the search, so the result is exactly the
 * search's. Bucket edges are widened by a float ulp on each side because a is rounded to float32
 * only to find its bucket. Bounds are spaced at least 0.087 octaves of t apart, k times that in a,
 * so B grows with log2 k; for k above 16 or below 3/16 (where a of interest leaves float32's
 * range) there is no index and the quantizer searches.
 */
final class CodeIndex {
    private static final int MAX_BITS = 10;
    private static final double MIN_K = 3 / 16.0;
    private static final double MAX_K = 16;
    private static final int FLOAT_ONE_EXPONENT = 127;

    private final byte[] start;
    private final int shift;

    private CodeIndex(byte[] start, int shift) {
        this.start = start;
        this.shift = shift;
    }

    /** The index for a table's bounds ({@code lower[c]} = lowest a of magnitude code c), or null where none fits. */
    static CodeIndex of(double[] lower, int maxCode, double k) {
        if (k < MIN_K || k > MAX_K) return null;
        for (int bits = 0; bits <= MAX_BITS; bits++) {
            int size = (FLOAT_ONE_EXPONENT << bits) + 1;
            int shift = 23 - bits;
            byte[] start = new byte[size];
            boolean brackets = true;
            for (int i = 0; i < size && brackets; i++) {
                float low = Float.intBitsToFloat(i << shift);
                float high = i + 1 < size ? Float.intBitsToFloat((i + 1) << shift) : 1f;
                int first = search(lower, maxCode, i == 0 ? 0 : Math.nextDown(low));
                brackets = search(lower, maxCode, Math.nextUp(high)) - first <= 2;
                start[i] = (byte) first;
            }
            if (brackets) return new CodeIndex(start, shift);
        }
        return null;
    }

    /** The code of a by binary search: the number of c in 1..maxCode with lower[c] < a. */
    static int search(double[] lower, int maxCode, double a) {
        int lo = 0;
        int hi = maxCode;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (a > lower[mid]) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }

    /**
     * The code of a; {@code lower} must hold +inf from maxCode + 1 on (and index maxCode + 2). A NaN lands in the last
     * bucket (its bits are beyond 1.0's) and keeps that bucket's code.
     */
    int code(double a, double[] lower) {
        int c = start[Math.min(start.length - 1, Float.floatToRawIntBits((float) a) >>> shift)];
        return c + (a > lower[c + 1] ? 1 : 0) + (a > lower[c + 2] ? 1 : 0);
    }

    /** Signed codes of {@code len} values from {@code src[from]} whose group max has the reciprocal {@code inverseMax}. */
    void encode(float[] src, int from, int len, double inverseMax, double[] lower, byte[] codes, int codeFrom) {
        byte[] first = start;
        int last = first.length - 1;
        int bits = shift;
        for (int i = 0; i < len; i++) {
            float x = src[from + i];
            double a = Math.abs(x) * inverseMax;
            int c = first[Math.min(last, Float.floatToRawIntBits((float) a) >>> bits)];
            // both compares depend only on c (bounds increase), so they run side by side
            c += (a > lower[c + 1] ? 1 : 0) + (a > lower[c + 2] ? 1 : 0);
            codes[codeFrom + i] = (byte) ((Float.floatToRawIntBits(x) >>> 24 & 0x80) | c);
        }
    }
}
