package io.spindle.parallel.comm;

/**
 * The element format of an all-reduce on the wire. BFLOAT16 halves the bytes moved for gradients;
 * every hop rounds to nearest even, and sums are still accumulated in float32 on the receiver.
 */
public enum WirePrecision {
    FLOAT32(4),
    BFLOAT16(2);

    private final int bytes;

    WirePrecision(int bytes) {
        this.bytes = bytes;
    }

    /** Bytes per element on the wire. */
    public int bytes() {
        return bytes;
    }
}
