package io.spindle.parallel.train;

/** What a rank does when the loss or the gradient norm is NaN or infinite. */
public enum NonFinitePolicy {
    /** Stop the run cleanly; the last complete checkpoint stays the newest. The default. */
    STOP,
    /** Skip the update (parameters and optimizer state untouched), count it, and go on. */
    SKIP
}
