package io.spindle.spark.prepare;

import java.util.List;
import java.util.Locale;

/** The input formats {@code spindle prepare} reads, and how {@code auto} picks one. */
enum InputFormat {
    TEXT, JSONL, PARQUET;

    /** Compression suffixes Hadoop's codecs handle; the format is named by the suffix before. */
    private static final List<String> COMPRESSION = List.of(".gz", ".bz2", ".zst", ".lz4", ".snappy", ".deflate");

    static InputFormat resolve(String format, List<String> inputs) {
        if (!format.equals("auto")) {
            return valueOf(format.toUpperCase(Locale.ROOT));
        }
        InputFormat inferred = null;
        for (String input : inputs) {
            InputFormat one = fromExtension(input);
            if (inferred != null && one != inferred) {
                throw new PrepareException("inputs mix formats (" + inputs + "); prepare one format at a time or"
                        + " pass format=text|jsonl|parquet");
            }
            inferred = one;
        }
        return inferred;
    }

    private static InputFormat fromExtension(String input) {
        String name = input.toLowerCase(Locale.ROOT);
        for (String suffix : COMPRESSION) {
            if (name.endsWith(suffix)) {
                name = name.substring(0, name.length() - suffix.length());
            }
        }
        if (name.endsWith(".txt") || name.endsWith(".text") || name.endsWith(".md")) {
            return TEXT;
        }
        if (name.endsWith(".jsonl") || name.endsWith(".json") || name.endsWith(".ndjson")) {
            return JSONL;
        }
        if (name.endsWith(".parquet")) {
            return PARQUET;
        }
        throw new PrepareException("cannot infer the format of input " + input
                + " from its extension (.txt, .jsonl, .parquet, optionally .gz); pass format=text|jsonl|parquet");
    }
}
