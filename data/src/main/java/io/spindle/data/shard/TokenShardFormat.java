package io.spindle.data.shard;

/**
 * The on-disk token shard: an Arrow IPC <em>file</em> (random access, with footer) holding one
 * non-nullable int16 column {@value #COLUMN} in record batches of at most
 * {@value #MAX_BATCH_TOKENS} tokens, and schema metadata that says what the ids mean. int16 is
 * enough while the vocabulary stays below 32768 ids and halves the size of int32 shards.
 */
public final class TokenShardFormat {
    public static final String COLUMN = "tokens";
    public static final String FORMAT = "spindle-tokens";
    public static final String VERSION = "1";
    public static final String EXTENSION = ".arrow";
    /** Largest vocabulary an int16 column can hold without sign trouble. */
    public static final int MAX_VOCAB_SIZE = Short.MAX_VALUE + 1;
    /** Bounds the Arrow buffers a reader or writer holds at once, whatever the shard size. */
    public static final int MAX_BATCH_TOKENS = 1 << 20;

    public static final String KEY_FORMAT = "spindle.format";
    public static final String KEY_VERSION = "spindle.format_version";
    public static final String KEY_TOKENIZER = "spindle.tokenizer";
    public static final String KEY_VOCAB_SIZE = "spindle.vocab_size";
    public static final String KEY_DOCUMENTS = "spindle.documents";
    public static final String KEY_TOKENS = "spindle.tokens";

    private TokenShardFormat() {
    }
}
