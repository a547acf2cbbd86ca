package io.spindle.data.shard;

/**
 * A prepared token dataset (its {@code dataset.json} or one of its shards) cannot be used. The
 * message names the file, what is wrong and how to fix it; it is bad input, not a bug, so it
 * extends {@link IllegalArgumentException} (exit code 2 at the CLI).
 */
public class InvalidDatasetException extends IllegalArgumentException {
    public InvalidDatasetException(String message) {
        super(message);
    }

    public InvalidDatasetException(String message, Throwable cause) {
        super(message, cause);
    }
}
