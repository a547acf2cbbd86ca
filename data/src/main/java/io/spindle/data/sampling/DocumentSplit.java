package io.spindle.data.sampling;

import java.nio.charset.StandardCharsets;

/**
 * Assigns each document to train or validation from its content and a seed alone, so the split is
 * the same however the input is partitioned, ordered or re-read, and identical documents always
 * land on the same side (a duplicate cannot leak from train into validation).
 */
public final class DocumentSplit {
    private final double validationFraction;
    private final long seed;

    public DocumentSplit(double validationFraction, long seed) {
        if (!(validationFraction >= 0 && validationFraction < 1)) {
            throw new IllegalArgumentException("validationFraction=" + validationFraction
                    + " is outside [0, 1); use e.g. 0.05 for 5% of documents");
        }
        this.validationFraction = validationFraction;
        this.seed = seed;
    }

    public boolean isValidation(String document) {
        return unitInterval(hash(document)) < validationFraction;
    }

    /** The rule in words, recorded in the dataset manifest. */
    public String rule() {
        return "validation iff top53(splitmix64(fnv1a64(UTF-8 bytes of the document, basis ^ splitmix64(seed)))) / 2^53"
                + " < validation_fraction";
    }

    /** FNV-1a over the UTF-8 bytes, seeded and finished with the SplitMix64 mixer for avalanche. */
    long hash(String document) {
        long h = 0xCBF29CE484222325L ^ SplitMix64.mix(seed);
        for (byte b : document.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xFF;
            h *= 0x100000001B3L;
        }
        return SplitMix64.mix(h);
    }

    private static double unitInterval(long bits) {
        return (bits >>> 11) * 0x1.0p-53;
    }
}
