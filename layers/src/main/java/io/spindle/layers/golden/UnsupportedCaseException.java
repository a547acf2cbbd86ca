package io.spindle.layers.golden;

/** A golden case names a layer (or variant) this build does not implement. */
public final class UnsupportedCaseException extends IllegalArgumentException {
    public UnsupportedCaseException(String message) {
        super(message);
    }
}
