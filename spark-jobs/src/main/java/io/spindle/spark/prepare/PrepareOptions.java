package io.spindle.spark.prepare;

import java.util.List;
import java.util.Set;

/**
 * What {@code spindle prepare} reads and writes.
 *
 * @param inputs             Hadoop paths or globs (file://, hdfs://, relative); compressed text
 *                           such as {@code .gz} is decompressed by Hadoop's codecs
 * @param format             {@code text}, {@code jsonl}, {@code parquet}, or {@code auto} to infer
 *                           it from the inputs' extensions
 * @param textField          the JSONL field or Parquet column holding each document's text
 * @param output             Hadoop directory for the shards and {@code dataset.json}; must not
 *                           exist or be empty
 * @param validationFraction share of documents held out for validation, in [0, 1)
 * @param seed               seed of the train/validation split
 * @param shardTokens        target tokens per shard; a shard ends at the first document boundary
 *                           at or after it
 */
public record PrepareOptions(List<String> inputs, String format, String textField, String output,
                             double validationFraction, long seed, long shardTokens) {
    public static final String DEFAULT_FORMAT = "auto";
    public static final String DEFAULT_TEXT_FIELD = "text";
    public static final double DEFAULT_VALIDATION_FRACTION = 0.05;
    public static final long DEFAULT_SEED = 0;
    /** 16 Mi tokens: 32 MB as int16 on disk, 64 MB of int buffer per split while a task fills it. */
    public static final long DEFAULT_SHARD_TOKENS = 16L << 20;
    /** A shard is buffered whole in a task's memory and indexed by int. */
    public static final long MAX_SHARD_TOKENS = 1L << 30;
    private static final Set<String> FORMATS = Set.of("auto", "text", "jsonl", "parquet");

    public PrepareOptions {
        if (inputs == null || inputs.isEmpty() || inputs.stream().anyMatch(i -> i == null || i.isBlank())) {
            throw new PrepareException("inputs=" + inputs + " must name at least one path or glob and no blank one");
        }
        inputs = List.copyOf(inputs);
        format = format == null ? DEFAULT_FORMAT : format;
        if (!FORMATS.contains(format)) {
            throw new PrepareException("format=" + format + " is not one of auto, text, jsonl, parquet");
        }
        textField = textField == null || textField.isBlank() ? DEFAULT_TEXT_FIELD : textField;
        if (output == null || output.isBlank()) {
            throw new PrepareException("output is blank; name a new or empty directory for the dataset");
        }
        if (!(validationFraction >= 0 && validationFraction < 1)) {
            throw new PrepareException("validationFraction=" + validationFraction
                    + " must be in [0, 1), e.g. " + DEFAULT_VALIDATION_FRACTION);
        }
        if (shardTokens < 1 || shardTokens > MAX_SHARD_TOKENS) {
            throw new PrepareException("shardTokens=" + shardTokens + " must be in 1.." + MAX_SHARD_TOKENS
                    + ", e.g. " + DEFAULT_SHARD_TOKENS);
        }
    }

    /** Defaults for everything but where to read and write. */
    public static PrepareOptions of(List<String> inputs, String output) {
        return new PrepareOptions(inputs, DEFAULT_FORMAT, DEFAULT_TEXT_FIELD, output, DEFAULT_VALIDATION_FRACTION,
                DEFAULT_SEED, DEFAULT_SHARD_TOKENS);
    }
}
