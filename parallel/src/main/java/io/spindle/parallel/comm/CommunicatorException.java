package io.spindle.parallel.comm;

/**
 * A collective could not complete: a peer died, stalled past the configured timeout, failed the
 * job-secret handshake, or called a different collective. The message names the peer's rank and
 * address where one is known, so the failing executor can be found from the driver's log.
 */
public class CommunicatorException extends RuntimeException {
    public CommunicatorException(String message) {
        super(message);
    }

    public CommunicatorException(String message, Throwable cause) {
        super(message, cause);
    }
}
