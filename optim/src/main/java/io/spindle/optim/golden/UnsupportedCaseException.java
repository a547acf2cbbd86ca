package io.spindle.optim.golden;

/** A golden-vector case names an algorithm or variant Spindle does not implement; the runner reports it as a FAIL. */
public final class UnsupportedCaseException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public UnsupportedCaseException(String message) {
        super(message);
    }
}
