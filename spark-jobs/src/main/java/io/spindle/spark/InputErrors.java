package io.spindle.spark;

import io.spindle.parallel.checkpoint.CorruptCheckpointException;

/**
 * Tells bad input (exit code 2, never worth retrying) from failures at run time. The CLI uses it to
 * choose the exit code, and the training driver to decide whether a failed stage is relaunched.
 */
public final class InputErrors {
    private InputErrors() {}

    /** The first cause that is a bad input (its message is written for the user), or null. */
    public static Throwable firstIn(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (isInputError(t.getClass())) return t;
            if (t.getCause() == t) break;
        }
        return null;
    }

    /**
     * Spindle's own input errors (config, data, checkpoints) carry messages written for the user; an
     * IllegalArgumentException from a library is a bug, reported as a failure.
     */
    public static boolean isInputError(Class<?> type) {
        boolean ours = type.getName().startsWith("io.spindle.");
        return ours && (IllegalArgumentException.class.isAssignableFrom(type)
                || CorruptCheckpointException.class.isAssignableFrom(type));
    }
}
