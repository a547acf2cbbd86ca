package io.spindle.parallel.comm;

import java.time.Duration;

/**
 * Tuning of the TCP ring.
 *
 * @param chunkBytes     payload bytes per framed message; collectives are split into chunks of this
 *                       size and pipelined around the ring so that large buffers are bandwidth-bound
 * @param ioTimeout      longest time a collective may make no progress before the peer it waits for
 *                       is declared stalled
 * @param connectTimeout longest time to connect to the successor and authenticate the predecessor
 */
public record CommConfig(int chunkBytes, Duration ioTimeout, Duration connectTimeout) {
    /**
     * 1 MiB chunks: large enough that per-frame costs vanish, small enough to pipeline a 4 MiB bucket;
     * 256 KiB to 4 MiB cost the same CPU per all-reduce (docs/benchmarks.md, "Collectives").
     */
    public static final int DEFAULT_CHUNK_BYTES = 1 << 20;

    public CommConfig {
        if (chunkBytes < 64 || chunkBytes % 4 != 0) {
            throw new IllegalArgumentException("comm.chunkBytes=" + chunkBytes
                    + " must be a multiple of 4 and at least 64; the default is " + DEFAULT_CHUNK_BYTES);
        }
        if (ioTimeout == null || ioTimeout.isNegative() || ioTimeout.isZero()) {
            throw new IllegalArgumentException("comm.ioTimeout=" + ioTimeout + " must be a positive duration");
        }
        if (connectTimeout == null || connectTimeout.isNegative() || connectTimeout.isZero()) {
            throw new IllegalArgumentException("comm.connectTimeout=" + connectTimeout + " must be a positive duration");
        }
    }

    public static CommConfig defaults() {
        return new CommConfig(DEFAULT_CHUNK_BYTES, Duration.ofSeconds(60), Duration.ofSeconds(60));
    }

    public CommConfig withTimeouts(Duration io, Duration connect) {
        return new CommConfig(chunkBytes, io, connect);
    }

    public CommConfig withChunkBytes(int bytes) {
        return new CommConfig(bytes, ioTimeout, connectTimeout);
    }
}
