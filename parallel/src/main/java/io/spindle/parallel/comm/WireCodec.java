package io.spindle.parallel.comm;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;

/** Moves elements between a float32 work buffer and little-endian frame bytes in either wire precision. */
final class WireCodec {
    private WireCodec() {}

    /** Appends work[from, from+count) to {@code frame} at its position, advancing it. */
    static void encode(FloatBuffer work, int from, int count, ByteBuffer frame, WirePrecision wire) {
        if (wire == WirePrecision.FLOAT32) {
            // bulk put: a memory copy when both sides are little-endian direct buffers
            frame.asFloatBuffer().put(work.duplicate().position(from).limit(from + count));
            frame.position(frame.position() + count * 4);
        } else {
            for (int i = from; i < from + count; i++) frame.putShort(Bf16.fromFloat(work.get(i)));
        }
    }

    /** Overwrites work[from, from+count) with the payload. */
    static void copy(ByteBuffer payload, FloatBuffer work, int from, int count, WirePrecision wire) {
        if (wire == WirePrecision.FLOAT32) {
            work.duplicate().position(from).put(payload.asFloatBuffer().limit(count));
        } else {
            for (int i = 0; i < count; i++) work.put(from + i, Bf16.toFloat(payload.getShort(2 * i)));
        }
    }

    /** work[i] = received partial sum + work[i], the next term of the fixed ring summation order. */
    static void accumulate(ByteBuffer payload, FloatBuffer work, int from, int count, WirePrecision wire) {
        if (wire == WirePrecision.FLOAT32) {
            FloatBuffer in = payload.asFloatBuffer();
            for (int i = 0; i < count; i++) work.put(from + i, in.get(i) + work.get(from + i));
        } else {
            for (int i = 0; i < count; i++) {
                work.put(from + i, Bf16.toFloat(payload.getShort(2 * i)) + work.get(from + i));
            }
        }
    }
}
