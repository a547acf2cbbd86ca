package io.spindle.spark.prepare;

/**
 * {@code spindle prepare} cannot run with the given inputs or output. The message names the input
 * (or output) and the fix; it is bad input, not a bug, hence {@link IllegalArgumentException}
 * (exit code 2 at the CLI).
 */
public class PrepareException extends IllegalArgumentException {
    public PrepareException(String message) {
        super(message);
    }

    public PrepareException(String message, Throwable cause) {
        super(message, cause);
    }
}
