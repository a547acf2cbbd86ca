package io.spindle.optim.offload;

import com.sun.nio.file.ExtendedOpenOption;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * One scratch file of offloaded state, read and written with positional I/O between the file and
 * direct buffers (no heap copies, no per-element objects). Chunks move through a second channel
 * opened with O_DIRECT when asked and possible, so they come from and go to the SSD rather than the
 * page cache; everything else (checkpoints, initial state) goes through the ordinary channel, whose
 * writes Linux flushes before a direct read of the same range.
 *
 * <p>Crash safety by construction: the file is unlinked right after it is opened, so it has no name
 * and the kernel frees it when the process ends, however it ends. Nothing ever reads an offload
 * file left by an earlier process: a run resumes from its checkpoint, which holds the full state.
 * This object owns both channels; {@link #close} releases them (and with them the disk space).
 */
final class OffloadFile implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OffloadFile.class);
    /** Direct I/O block: positions, lengths and memory of chunk I/O are multiples of it (4 KiB covers 512 B devices too). */
    static final int ALIGNMENT = 4096;

    /** A byte range of the file and where it sits in a frame. */
    record Extent(long filePosition, int framePosition, int bytes) {}

    private final FileChannel channel;
    private final FileChannel chunkChannel;
    private final Path createdAs;

    private OffloadFile(FileChannel channel, FileChannel chunkChannel, Path createdAs) {
        this.channel = channel;
        this.chunkChannel = chunkChannel;
        this.createdAs = createdAs;
    }

    /** A new zero-filled file of {@code bytes} bytes in {@code dir} (sparse: no zeros are written). */
    static OffloadFile create(Path dir, long bytes, boolean directIo) throws IOException {
        Files.createDirectories(dir);
        Path path = Files.createTempFile(dir, "spindle-offload-", ".state");
        FileChannel channel = null;
        FileChannel direct = null;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
            if (bytes > 0) channel.write(ByteBuffer.allocate(1), bytes - 1);
            if (directIo) direct = openDirect(path);
            Files.delete(path);
        } catch (IOException | RuntimeException e) {
            if (channel != null) channel.close();
            if (direct != null) direct.close();
            Files.deleteIfExists(path);
            throw e;
        }
        return new OffloadFile(channel, direct == null ? channel : direct, path);
    }

    private static FileChannel openDirect(Path path) {
        try {
            return FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE, ExtendedOpenOption.DIRECT);
        } catch (IOException | UnsupportedOperationException e) {
            LOG.warn("the file system of {} refuses direct I/O ({}); offloaded state goes through the page cache."
                    + " Point optim.offload.dir at a local disk, or set optim.offload.directIo=false", path, e.toString());
            return null;
        }
    }

    /** Whether chunks bypass the page cache. */
    boolean direct() {
        return chunkChannel != channel;
    }

    /** Fills {@code frame} at each extent's frame position from the file (chunk I/O: aligned); returns the bytes read. */
    long read(List<Extent> extents, ByteBuffer frame) throws IOException {
        return eachExtent(extents, frame, (position, bytes) -> read(chunkChannel, position, bytes));
    }

    /** Writes each extent of {@code frame} to the file (chunk I/O: aligned); returns the bytes written. */
    long write(List<Extent> extents, ByteBuffer frame) throws IOException {
        return eachExtent(extents, frame, (position, bytes) -> write(chunkChannel, position, bytes));
    }

    private interface ExtentIo {
        void run(long filePosition, ByteBuffer frameBytes) throws IOException;
    }

    private static long eachExtent(List<Extent> extents, ByteBuffer frame, ExtentIo io) throws IOException {
        long total = 0;
        for (Extent e : extents) {
            io.run(e.filePosition(), slice(frame, e.framePosition(), e.bytes()));
            total += e.bytes();
        }
        return total;
    }

    /** Reads {@code dst.remaining()} bytes at {@code position} into {@code dst}, at any alignment. */
    void read(long position, ByteBuffer dst) throws IOException {
        read(channel, position, dst);
    }

    /** Writes all of {@code src} at {@code position}, at any alignment. */
    void write(long position, ByteBuffer src) throws IOException {
        write(channel, position, src);
    }

    private void read(FileChannel from, long position, ByteBuffer dst) throws IOException {
        long at = position;
        while (dst.hasRemaining()) {
            int n = from.read(dst, at);
            if (n < 0) {
                throw new IOException("offload file (created as " + createdAs + ") ends at " + at
                        + " bytes, before the state it should hold");
            }
            at += n;
        }
    }

    private static void write(FileChannel to, long position, ByteBuffer src) throws IOException {
        long at = position;
        while (src.hasRemaining()) at += to.write(src, at);
    }

    /** The bytes of a dense row-major array (float32 or int8), for reading or writing it whole. */
    static ByteBuffer bytesOf(INDArray t) {
        int size = t.dataType().width();
        return slice(t.data().asNio(), t.offset() * size, t.length() * size);
    }

    /** Bytes {@code [position, position + bytes)} of {@code buffer} as a buffer of their own. */
    static ByteBuffer slice(ByteBuffer buffer, long position, long bytes) {
        return buffer.duplicate().limit(Math.toIntExact(position + bytes)).position(Math.toIntExact(position)).slice();
    }

    @Override
    public void close() throws IOException {
        try {
            channel.close();
        } finally {
            if (chunkChannel != channel) chunkChannel.close();
        }
    }
}
