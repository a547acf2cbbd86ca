package io.spindle.layers.chain;

import java.util.Arrays;
import java.util.List;

/**
 * Chain-of-Representation (Song et al. 2025, "Chain-of-Model Learning for Language Model"): a
 * hidden state of width {@code sum(sizes)} split, in order, into chains of the given sizes. Chain j
 * occupies columns [offset(j), offset(j) + size(j)).
 */
public record Chains(int[] sizes) {

    public Chains {
        if (sizes == null || sizes.length == 0) {
            throw new IllegalArgumentException("Chain-of-Model needs at least one chain size, e.g. [64, 64]");
        }
        sizes = sizes.clone();
        long total = 0;
        for (int s : sizes) {
            if (s <= 0) throw new IllegalArgumentException("chain sizes must be positive, got " + Arrays.toString(sizes));
            total += s;
        }
        if (total > Integer.MAX_VALUE) throw new IllegalArgumentException("chain sizes sum past 2^31: " + Arrays.toString(sizes));
    }

    public static Chains of(int... sizes) { return new Chains(sizes); }

    /** From a config list of numbers (the golden files' and config files' form). */
    public static Chains of(List<? extends Number> sizes) {
        int[] s = new int[sizes.size()];
        for (int i = 0; i < s.length; i++) {
            Number n = sizes.get(i);
            if (n == null || n.doubleValue() != Math.rint(n.doubleValue())) {
                throw new IllegalArgumentException("chain sizes must be whole numbers, got " + sizes);
            }
            s[i] = n.intValue();
        }
        return new Chains(s);
    }

    /** n chains of equal size {@code total / n}. */
    public static Chains equal(int total, int n) {
        if (n <= 0 || total % n != 0) {
            throw new IllegalArgumentException(n + " chains do not split width " + total + " evenly; choose a divisor of " + total);
        }
        int[] s = new int[n];
        Arrays.fill(s, total / n);
        return new Chains(s);
    }

    @Override
    public int[] sizes() { return sizes.clone(); }

    public int count() { return sizes.length; }

    public int size(int chain) { return sizes[check(chain)]; }

    /** First column of chain {@code chain}; {@code offset(count())} is the total width. */
    public int offset(int chain) {
        if (chain < 0 || chain > sizes.length) {
            throw new IllegalArgumentException("chain index " + chain + " is outside [0, " + sizes.length + "]");
        }
        int o = 0;
        for (int i = 0; i < chain; i++) o += sizes[i];
        return o;
    }

    public int total() { return offset(sizes.length); }

    /** The first {@code k} chains: the representation of the sub-model with k chains. */
    public Chains prefix(int k) {
        if (k < 1 || k > sizes.length) {
            throw new IllegalArgumentException("a chain prefix needs 1.." + sizes.length + " chains, got " + k);
        }
        return new Chains(Arrays.copyOf(sizes, k));
    }

    /** These chains plus one more of {@code size} at the end (progressive scaling). */
    public Chains grow(int size) {
        int[] s = Arrays.copyOf(sizes, sizes.length + 1);
        s[sizes.length] = size;
        return new Chains(s);
    }

    /**
     * The same split proportioned to width {@code width} (an FFN's hidden size for a model whose
     * residual stream has these chains): chain j gets {@code size(j) * width / total()}.
     */
    public Chains scaledTo(int width) {
        int total = total();
        int[] s = new int[sizes.length];
        for (int i = 0; i < s.length; i++) {
            long scaled = (long) sizes[i] * width;
            if (scaled % total != 0) {
                throw new IllegalArgumentException("width " + width + " cannot be split in the proportions of chains "
                        + Arrays.toString(sizes) + "; choose a multiple of " + total / gcd(total, sizes[i]));
            }
            s[i] = (int) (scaled / total);
        }
        return new Chains(s);
    }

    private static int gcd(int a, int b) { return b == 0 ? a : gcd(b, a % b); }

    private int check(int chain) {
        if (chain < 0 || chain >= sizes.length) {
            throw new IllegalArgumentException("chain index " + chain + " is outside [0, " + sizes.length + ")");
        }
        return chain;
    }

    @Override
    public boolean equals(Object o) { return o instanceof Chains c && Arrays.equals(c.sizes, sizes); }

    @Override
    public int hashCode() { return Arrays.hashCode(sizes); }

    @Override
    public String toString() { return "Chains" + Arrays.toString(sizes); }
}
