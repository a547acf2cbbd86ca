package io.spindle.data.shard;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.regex.Pattern;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * {@value #FILE_NAME}: the table of contents of a prepared dataset, written last so that its
 * presence means every shard it lists is complete. Shards are named relative to the directory
 * holding the manifest; their concatenation in list order is the train (or validation) stream.
 *
 * @param format             always {@value #FORMAT}
 * @param formatVersion      {@value #VERSION}
 * @param tokenizer          tokenizer name, e.g. {@code byte-v1}
 * @param vocabSize          ids are in {@code 0..vocabSize-1}
 * @param sources            the input paths the dataset was prepared from, as given
 * @param splitRule          how documents were assigned to validation, in words
 * @param validationFraction share of documents assigned to validation
 * @param seed               seed of the split
 * @param train              train shards in stream order
 * @param validation         validation shards in stream order
 */
public record DatasetManifest(
        @JsonProperty("format") String format,
        @JsonProperty("format_version") int formatVersion,
        @JsonProperty("tokenizer") String tokenizer,
        @JsonProperty("vocab_size") int vocabSize,
        @JsonProperty("sources") List<String> sources,
        @JsonProperty("split_rule") String splitRule,
        @JsonProperty("validation_fraction") double validationFraction,
        @JsonProperty("seed") long seed,
        @JsonProperty("train") List<ShardEntry> train,
        @JsonProperty("validation") List<ShardEntry> validation) {

    public static final String FILE_NAME = "dataset.json";
    public static final String FORMAT = "spindle-dataset";
    public static final int VERSION = 1;

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(SerializationFeature.INDENT_OUTPUT)
            // Newer writers may add fields; an older reader still knows everything it needs.
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();
    /** A bare file name: shards live next to the manifest, never elsewhere. */
    private static final Pattern SHARD_FILE = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]*\\.arrow");

    public DatasetManifest {
        if (!FORMAT.equals(format)) {
            throw new InvalidDatasetException("format is " + format + " but expected " + FORMAT);
        }
        if (formatVersion != VERSION) {
            throw new InvalidDatasetException("format_version " + formatVersion
                    + " is unsupported (this Spindle reads version " + VERSION + ")");
        }
        if (tokenizer == null || tokenizer.isBlank()) {
            throw new InvalidDatasetException("tokenizer is missing");
        }
        if (vocabSize < 1 || vocabSize > TokenShardFormat.MAX_VOCAB_SIZE) {
            throw new InvalidDatasetException("vocab_size " + vocabSize + " is outside 1.."
                    + TokenShardFormat.MAX_VOCAB_SIZE);
        }
        if (!(validationFraction >= 0 && validationFraction < 1)) {
            throw new InvalidDatasetException("validation_fraction " + validationFraction + " is outside [0, 1)");
        }
        sources = sources == null ? List.of() : List.copyOf(sources);
        splitRule = splitRule == null ? "" : splitRule;
        train = checkedShards("train", train);
        validation = checkedShards("validation", validation);
        if (train.isEmpty()) {
            throw new InvalidDatasetException("train lists no shard");
        }
    }

    private static List<ShardEntry> checkedShards(String split, List<ShardEntry> shards) {
        if (shards == null) {
            throw new InvalidDatasetException(split + " is missing");
        }
        for (ShardEntry shard : shards) {
            if (shard == null || shard.file() == null || !SHARD_FILE.matcher(shard.file()).matches()) {
                throw new InvalidDatasetException(split + " lists shard " + (shard == null ? null : shard.file())
                        + ", which is not a plain *.arrow file name next to the manifest");
            }
            if (shard.tokens() < 0 || shard.documents() < 0) {
                throw new InvalidDatasetException(split + " shard " + shard.file() + " has negative counts");
            }
        }
        return List.copyOf(shards);
    }

    public long trainTokens() {
        return train.stream().mapToLong(ShardEntry::tokens).sum();
    }

    public long validationTokens() {
        return validation.stream().mapToLong(ShardEntry::tokens).sum();
    }

    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("dataset manifest cannot be serialized", e);
        }
    }

    public void write(OutputStream out) throws IOException {
        out.write(toJson().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /**
     * Parses and validates a manifest; {@code where} names the file in error messages.
     *
     * @throws InvalidDatasetException naming {@code where}, the problem and the fix
     */
    public static DatasetManifest read(String where, InputStream in) throws IOException {
        try {
            return JSON.readValue(in, DatasetManifest.class);
        } catch (JsonProcessingException e) {
            String problem = e.getCause() instanceof InvalidDatasetException invalid
                    ? invalid.getMessage() : "it is not valid JSON for a dataset manifest (" + e.getOriginalMessage() + ")";
            throw new InvalidDatasetException("dataset manifest " + where + " is unusable: " + problem
                    + "; re-run `spindle prepare` into a new output directory", e);
        }
    }

    /** One shard file of the dataset. */
    public record ShardEntry(@JsonProperty("file") String file,
                             @JsonProperty("tokens") long tokens,
                             @JsonProperty("documents") long documents) {
    }
}
