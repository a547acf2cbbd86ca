package io.spindle.optim.offload;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * One scratch file of offloaded state, read and written with positional I/O between the file and
 * direct buffers (no heap copies, no per-element objects).
 *
 * <p>Crash safety by construction: the file is unlinked right after it is opened, so it has no name
 * and the kernel frees it when the process ends, however it ends. Nothing ever reads an offload
 * file left by an earlier process: a run resumes from its checkpoint, which holds the full state.
 * This object owns the channel; {@link #close} releases it (and with it the disk space).
 */
final class OffloadFile implements AutoCloseable {
    /** A byte range of the file and where it sits in a frame. */
    record Extent(long filePosition, int framePosition, int bytes) {}

    private final FileChannel channel;
    private final Path createdAs;

    private OffloadFile(FileChannel channel, Path createdAs) {
        this.channel = channel;
        this.createdAs = createdAs;
    }

    /** A new zero-filled file of {@code bytes} bytes in {@code dir} (sparse: no zeros are written). */
    static OffloadFile create(Path dir, long bytes) throws IOException {
        Files.createDirectories(dir);
        Path path = Files.createTempFile(dir, "spindle-offload-", ".state");
        FileChannel channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            Files.delete(path);
            if (bytes > 0) channel.write(ByteBuffer.allocate(1), bytes - 1);
        } catch (IOException e) {
            channel.close();
            Files.deleteIfExists(path);
            throw e;
        }
        return new OffloadFile(channel, path);
    }

    /** Fills {@code frame} at each extent's frame position from the file. */
    void read(List<Extent> extents, ByteBuffer frame) throws IOException {
        for (Extent e : extents) read(e.filePosition(), slice(frame, e.framePosition(), e.bytes()));
    }

    /** Writes each extent of {@code frame} to the file. */
    void write(List<Extent> extents, ByteBuffer frame) throws IOException {
        for (Extent e : extents) write(e.filePosition(), slice(frame, e.framePosition(), e.bytes()));
    }

    /** Reads {@code dst.remaining()} bytes at {@code position} into {@code dst}. */
    void read(long position, ByteBuffer dst) throws IOException {
        long at = position;
        while (dst.hasRemaining()) {
            int n = channel.read(dst, at);
            if (n < 0) {
                throw new IOException("offload file (created as " + createdAs + ") ends at " + at
                        + " bytes, before the state it should hold");
            }
            at += n;
        }
    }

    /** Writes all of {@code src} at {@code position}. */
    void write(long position, ByteBuffer src) throws IOException {
        long at = position;
        while (src.hasRemaining()) at += channel.write(src, at);
    }

    /** The bytes of a dense row-major array (float32 or int8), for reading or writing it whole. */
    static ByteBuffer bytesOf(org.nd4j.linalg.api.ndarray.INDArray t) {
        int size = t.dataType().width();
        return slice(t.data().asNio(), t.offset() * size, t.length() * size);
    }

    /** Bytes {@code [position, position + bytes)} of {@code buffer} as a buffer of their own. */
    static ByteBuffer slice(ByteBuffer buffer, long position, long bytes) {
        return buffer.duplicate().limit(Math.toIntExact(position + bytes)).position(Math.toIntExact(position)).slice();
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
