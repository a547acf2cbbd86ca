package io.spindle.data.sampling;

/**
 * SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", 2014).
 * Spelled out here rather than taken from {@code java.util} so that window orders and the
 * train/validation split stay bit-identical across JDK versions: a resumed run or a re-prepared
 * dataset must see exactly what the original saw.
 */
final class SplitMix64 {
    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

    private long state;

    SplitMix64(long seed) {
        this.state = seed;
    }

    long nextLong() {
        state += GOLDEN_GAMMA;
        return mix(state);
    }

    /** Uniform in {@code [0, bound)} by rejection, so no residue is favoured. */
    long nextLong(long bound) {
        long bits;
        long value;
        do {
            bits = nextLong() >>> 1;
            value = bits % bound;
        } while (bits - value + (bound - 1) < 0);
        return value;
    }

    /** The SplitMix64 finalizer: a bijective avalanche of all 64 bits. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** A seed for stream {@code index} of {@code seed}, independent of neighbouring indices. */
    static long derive(long seed, long index) {
        return mix(mix(seed) + GOLDEN_GAMMA * (index + 1));
    }
}
