package io.spindle.parallel.comm;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;

/**
 * The per-chunk arithmetic of the TCP ring between little-endian wire bytes and the float32 work
 * buffer: reducing an arriving chunk into the work buffer, and bf16 encoding and decoding.
 * (float32 chunks that are only copied never pass through here: the ring sends and receives them
 * straight from and into the work buffer.)
 *
 * <p>Every operation moves the chunk into heap arrays with bulk copies, computes on the arrays and
 * copies back: C2 vectorizes loops over arrays but not element-wise access to direct buffers, which
 * made reductions several times slower than the network. The arrays are sized for one chunk and
 * allocated once per ring, not per chunk.
 */
final class WireCodec {
    private final float[] incoming;
    private final float[] own;
    private final short[] halves;

    /** @param chunkBytes payload bytes per chunk; a bf16 chunk holds chunkBytes / 2 elements */
    WireCodec(int chunkBytes) {
        int maxElements = chunkBytes / WirePrecision.BFLOAT16.bytes();
        this.incoming = new float[maxElements];
        this.own = new float[maxElements];
        this.halves = new short[maxElements];
    }

    /** Writes work[from, from+count) as bf16 (round to nearest even) into {@code frame} from index 0. */
    void encodeBf16(FloatBuffer work, int from, int count, ByteBuffer frame) {
        work.get(from, own, 0, count);
        for (int i = 0; i < count; i++) halves[i] = Bf16.fromFloat(own[i]);
        frame.asShortBuffer().put(0, halves, 0, count);
    }

    /** Overwrites work[from, from+count) with a bf16 payload. */
    void copyBf16(ByteBuffer payload, FloatBuffer work, int from, int count) {
        decode(payload, incoming, count, WirePrecision.BFLOAT16);
        work.put(from, incoming, 0, count);
    }

    /**
     * work[i] = received partial sum + work[i], the next term of the fixed ring summation order; with
     * {@code finish} (the last term) the result is also finished as {@link RingPlan#finished} says.
     */
    void accumulate(ByteBuffer payload, FloatBuffer work, int from, int count, WirePrecision wire,
                    boolean finish, ReduceOp op, int worldSize) {
        decode(payload, incoming, count, wire);
        work.get(from, own, 0, count);
        for (int i = 0; i < count; i++) own[i] = incoming[i] + own[i];
        if (finish && RingPlan.changesOnFinish(op, wire)) {
            for (int i = 0; i < count; i++) own[i] = RingPlan.finished(own[i], op, worldSize, wire);
        }
        work.put(from, own, 0, count);
    }

    private void decode(ByteBuffer payload, float[] into, int count, WirePrecision wire) {
        if (wire == WirePrecision.FLOAT32) {
            payload.asFloatBuffer().get(0, into, 0, count);
        } else {
            payload.asShortBuffer().get(0, halves, 0, count);
            for (int i = 0; i < count; i++) into[i] = Bf16.toFloat(halves[i]);
        }
    }
}
