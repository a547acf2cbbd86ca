package io.spindle.optim.coat;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-group loops of {@link CoatQuantizer}: the magnitude range, the codes, the values. Two
 * implementations of the first two give the same bits: {@link ScalarGroupCodec} (plain Java, always there) and
 * {@link VectorGroupCodec} (SIMD through the Vector API, an incubator module in Java 17 that the JVM
 * must be started with: {@code --add-modules jdk.incubator.vector}, as {@code bin/spindle} does).
 * {@link #best()} picks the vector one where it can run, so a JVM without the module still trains,
 * only slower, and gives the same results.
 */
abstract class GroupCodec {
    private static final Logger LOG = LoggerFactory.getLogger(GroupCodec.class);
    /** System property that turns the SIMD codec off ({@code -Dspindle.coat.simd=false}). */
    static final String SIMD_PROPERTY = "spindle.coat.simd";
    static final String VECTOR_MODULE = "jdk.incubator.vector";
    /** Largest E4M3 magnitude code (448). */
    static final int MAX_CODE = 126;

    /**
     * Largest and smallest |x| of {@code src[from .. from+len)} as float bits (sign cleared, so
     * their int order is the float order, NaN above infinity), into {@code range[0]} and
     * {@code range[1]}.
     */
    abstract void magnitudeRange(float[] src, int from, int len, int[] range);

    /** What this codec is, for reports ({@code spindle doctor}). */
    abstract String describe();

    /** Folds {@code src[from .. to)} into a running max {@code hi} and min {@code lo} of magnitude bits, stores them as {@link #magnitudeRange} does. */
    static void finishRange(float[] src, int from, int to, int hi, int lo, int[] range) {
        // int max and min on the float bits cost about half of Math.max/min on floats
        for (int i = from; i < to; i++) {
            int magnitude = Float.floatToRawIntBits(src[i]) & 0x7FFF_FFFF;
            hi = Math.max(hi, magnitude);
            lo = Math.min(lo, magnitude);
        }
        range[0] = hi;
        range[1] = lo;
    }

    /**
     * Signed E4M3 codes of {@code len} values from {@code src[from]} expanded with k, whose group
     * max is {@code groupMax} ({@code inverseMax} = 1/groupMax in double); {@code index} and
     * {@code lower} are k's table, which define the exact code.
     */
    abstract void encode(float[] src, int from, int len, float groupMax, double inverseMax, CodeIndex index,
                         double[] lower, double k, byte[] codes, int codeFrom);

    /**
     * {@code dst[to + i] = values[codes[from + i]] * groupMax}: k's float table, one multiply in
     * float. One loop for both codecs: table lookups do not vectorize profitably here.
     */
    final void decode(byte[] codes, int from, int len, float[] values, float groupMax, float[] dst, int to) {
        for (int i = 0; i < len; i++) {
            dst[to + i] = values[codes[from + i] & 0xFF] * groupMax;
        }
    }

    private static final GroupCodec BEST = choose();

    /** The vector codec where this JVM can run it, else the scalar one. */
    static GroupCodec best() {
        return BEST;
    }

    private static GroupCodec choose() {
        if (!Boolean.parseBoolean(System.getProperty(SIMD_PROPERTY, "true"))) {
            LOG.info("COAT codec: scalar ({}=false)", SIMD_PROPERTY);
            return new ScalarGroupCodec();
        }
        if (ModuleLayer.boot().findModule(VECTOR_MODULE).isEmpty()) {
            LOG.info("COAT codec: scalar; start the JVM with --add-modules {} for the SIMD codec (same results, faster)",
                    VECTOR_MODULE);
            return new ScalarGroupCodec();
        }
        try {
            GroupCodec vector = (GroupCodec) Class.forName("io.spindle.optim.coat.VectorGroupCodec")
                    .getDeclaredConstructor().newInstance();
            if (VectorGroupCodec.supported()) return vector;
            LOG.info("COAT codec: scalar; this CPU's vectors are narrower than 8 floats");
        } catch (ReflectiveOperationException | LinkageError e) {
            LOG.warn("COAT codec: scalar; the SIMD codec did not load ({})", e.toString());
        }
        return new ScalarGroupCodec();
    }
}
