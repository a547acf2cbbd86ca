package io.spindle.data.shard;

/** One token shard is not a readable Spindle shard; the message names it and the fix. */
public class InvalidShardException extends InvalidDatasetException {
    public InvalidShardException(String message) {
        super(message);
    }

    public InvalidShardException(String message, Throwable cause) {
        super(message, cause);
    }
}
