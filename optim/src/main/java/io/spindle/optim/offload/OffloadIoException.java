package io.spindle.optim.offload;

/** A read or write of offloaded state failed; the state in memory and on disk no longer agree. */
public final class OffloadIoException extends RuntimeException {
    public OffloadIoException(String message, Throwable cause) {
        super(message, cause);
    }
}
