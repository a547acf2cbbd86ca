package io.spindle.layers.matformer;

import java.util.Arrays;

/**
 * The nested FFN widths a MatFormer is trained at, smallest first; the largest is the full hidden
 * size. The paper's language models use {@code H, H/2, H/4, H/8} ({@link #ofDivisors}).
 */
public record Granularities(int hidden, int[] widths) {

    public Granularities {
        if (hidden <= 0) throw new IllegalArgumentException("MatFormer hidden size must be positive, got " + hidden);
        if (widths == null || widths.length == 0) {
            throw new IllegalArgumentException("MatFormer needs at least one granularity width, e.g. [" + hidden + "]");
        }
        widths = widths.clone();
        for (int i = 0; i < widths.length; i++) {
            if (widths[i] < 1 || widths[i] > hidden) {
                throw new IllegalArgumentException("MatFormer width " + widths[i] + " is outside [1, " + hidden
                        + "]; widths are numbers of hidden neurons");
            }
            if (i > 0 && widths[i] <= widths[i - 1]) {
                throw new IllegalArgumentException("MatFormer widths " + Arrays.toString(widths)
                        + " must be strictly increasing, smallest first");
            }
        }
        if (widths[widths.length - 1] != hidden) {
            throw new IllegalArgumentException("the largest MatFormer width must be the full hidden size " + hidden
                    + ", got " + Arrays.toString(widths) + "; the universal model is the full FFN");
        }
    }

    /** Widths hidden/d for each divisor d (e.g. 8, 4, 2, 1 → H/8, H/4, H/2, H), each exact. */
    public static Granularities ofDivisors(int hidden, int... divisors) {
        int[] widths = new int[divisors.length];
        for (int i = 0; i < divisors.length; i++) {
            int d = divisors[i];
            if (d <= 0 || hidden % d != 0) {
                throw new IllegalArgumentException("MatFormer divisor " + d + " does not divide the hidden size "
                        + hidden + "; choose divisors of " + hidden);
            }
            widths[i] = hidden / d;
        }
        Arrays.sort(widths);
        return new Granularities(hidden, widths);
    }

    @Override
    public int[] widths() { return widths.clone(); }

    public int count() { return widths.length; }

    /** Width of granularity {@code g} (0 = smallest). */
    public int width(int g) {
        if (g < 0 || g >= widths.length) {
            throw new IllegalArgumentException("granularity index " + g + " is outside [0, " + widths.length + ")");
        }
        return widths[g];
    }

    /** Index of the granularity whose width is {@code width}; rejects widths that were not trained. */
    public int indexOf(int width) {
        for (int i = 0; i < widths.length; i++) if (widths[i] == width) return i;
        throw new IllegalArgumentException("width " + width + " is not one of the trained MatFormer widths "
                + Arrays.toString(widths));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Granularities g && g.hidden == hidden && Arrays.equals(g.widths, widths);
    }

    @Override
    public int hashCode() { return 31 * hidden + Arrays.hashCode(widths); }

    @Override
    public String toString() { return "Granularities[hidden=" + hidden + ", widths=" + Arrays.toString(widths) + "]"; }
}
