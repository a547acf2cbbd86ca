package io.spindle.bench;

import com.sun.nio.file.ExtendedOpenOption;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Sequential write then read bandwidth of the disk under a directory, the way the Fuyou offload
 * uses it: positional FileChannel I/O of large blocks from a 4 KiB-aligned direct buffer, with
 * O_DIRECT so the page cache neither absorbs the writes nor serves the reads (this VM has far more
 * RAM than any probe file, and no root to drop caches). The write time includes a final
 * {@code force}. Where the file system refuses O_DIRECT, the probe says so and measures buffered
 * I/O instead, which then mostly measures memory copies, not the disk.
 *
 * @param writeBytesPerSecond sequential write bandwidth
 * @param readBytesPerSecond  sequential read bandwidth
 * @param direct              whether O_DIRECT was used
 */
record SsdProbe(double writeBytesPerSecond, double readBytesPerSecond, boolean direct) {
    private static final int ALIGN = 4096;
    /** Per call: large enough that per-call overhead vanishes, as the offload's chunks are. */
    private static final int BLOCK = 8 << 20;

    static SsdProbe measure(Path dir, long bytes) throws IOException {
        Files.createDirectories(dir);
        Path file = Files.createTempFile(dir, "spindle-ssd-probe-", ".bin");
        ByteBuffer block = ByteBuffer.allocateDirect(BLOCK + ALIGN).alignedSlice(ALIGN);
        // Non-zero, varying contents: some devices and file systems shortcut zero blocks.
        for (int i = 0; block.remaining() >= Long.BYTES; i++) block.putLong(0x9E3779B97F4A7C15L * (i + 1));
        block.clear();
        long blocks = Math.max(1, bytes / BLOCK);
        try {
            boolean direct = true;
            FileChannel ch;
            try {
                ch = FileChannel.open(file, options(true, StandardOpenOption.WRITE));
            } catch (IOException | UnsupportedOperationException e) {
                direct = false;
                ch = FileChannel.open(file, options(false, StandardOpenOption.WRITE));
            }
            long t0 = System.nanoTime();
            try (FileChannel out = ch) {
                for (long b = 0; b < blocks; b++) {
                    block.clear();
                    long at = b * BLOCK;
                    while (block.hasRemaining()) at += out.write(block, at);
                }
                out.force(true);
            }
            double write = blocks * (double) BLOCK / ((System.nanoTime() - t0) / 1e9);
            long t1 = System.nanoTime();
            try (FileChannel in = FileChannel.open(file, options(direct, StandardOpenOption.READ))) {
                for (long b = 0; b < blocks; b++) {
                    block.clear();
                    long at = b * BLOCK;
                    while (block.hasRemaining()) {
                        int n = in.read(block, at);
                        if (n < 0) throw new IOException("probe file " + file + " ended early");
                        at += n;
                    }
                }
            }
            double read = blocks * (double) BLOCK / ((System.nanoTime() - t1) / 1e9);
            return new SsdProbe(write, read, direct);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private static OpenOption[] options(boolean direct, OpenOption mode) {
        List<OpenOption> o = new ArrayList<>(List.of(mode));
        if (direct) o.add(ExtendedOpenOption.DIRECT);
        return o.toArray(new OpenOption[0]);
    }

    /** Seconds to read {@code read} and write {@code written} bytes one after the other at these bandwidths. */
    double boundSeconds(long read, long written) {
        return read / readBytesPerSecond + written / writeBytesPerSecond;
    }

    @Override
    public String toString() {
        return String.format("write %.0f MB/s, read %.0f MB/s (%s)", writeBytesPerSecond / 1e6,
                readBytesPerSecond / 1e6, direct ? "O_DIRECT" : "buffered: O_DIRECT refused, page cache measured");
    }
}
