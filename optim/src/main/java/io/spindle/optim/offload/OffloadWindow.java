package io.spindle.optim.offload;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bounded in-memory window through which offloaded state is processed: {@link #FRAMES} off-heap
 * frames that share {@code memoryBudget} (less a small {@link #reserve} for the window's own
 * bookkeeping, so that everything the offload adds stays within the budget), plus one reader and
 * one writer thread. Three frames
 * are what Fuyou's pipeline needs: while chunk i is updated in one frame, chunk i+1 is read into the
 * next and chunk i-1 is written back from the previous.
 *
 * <p>Frames are handed out strictly round robin ({@link #next}), shared by every store of one
 * optimizer (the parameter groups step one after the other). Because a store asks for the frame of
 * chunk i+1 only while chunk i is being updated, the frame it gets is the one of chunk i-2, which is
 * committed and at most still being written back; each I/O task first waits for the frame's previous
 * I/O ({@link Frame#lastIo}), so no call ever blocks on acquiring a frame.
 *
 * <p>Ownership (Arrow-style reference count): {@link #open} returns a window with one reference,
 * the creator's; each {@link OffloadStateStore} retains one. The frames' memory is freed and the
 * threads stop when the last reference is released by {@link #close}.
 */
public final class OffloadWindow implements AutoCloseable {
    /** Frames in the window: one being updated, one being read, one being written back. */
    public static final int FRAMES = 3;

    private final OffloadConfig config;
    private final Frame[] frames = new Frame[FRAMES];
    private final ExecutorService reader;
    private final ExecutorService writer;
    private final AtomicLong bytesRead = new AtomicLong();
    private final AtomicLong bytesWritten = new AtomicLong();
    private int nextFrame;
    private int references = 1;
    /** Test seam: I/O operations still allowed before one fails, or -1 for no fault. */
    private final java.util.concurrent.atomic.AtomicInteger ioBeforeFault = new java.util.concurrent.atomic.AtomicInteger(-1);

    /**
     * One frame: float32 memory addressed both as an INDArray (views for the optimizer) and as bytes
     * (I/O). It starts at an {@link OffloadFile#ALIGNMENT}-aligned address inside a slightly larger
     * ND4J allocation (which ND4J aligns to 16 bytes only), as direct I/O requires.
     */
    static final class Frame {
        private final INDArray allocation;
        final INDArray floats;
        final ByteBuffer bytes;
        private final FloatBuffer floatsBuffer;
        /** The last read or write that uses this frame; the next one starts after it. */
        CompletableFuture<Void> lastIo = CompletableFuture.completedFuture(null);

        Frame(int floatsCapacity) {
            int alignFloats = OffloadFile.ALIGNMENT / Float.BYTES;
            this.allocation = Nd4j.createUninitialized(DataType.FLOAT, (long) floatsCapacity + alignFloats);
            long address = allocation.data().addressPointer().address();
            int skip = (int) ((OffloadFile.ALIGNMENT - address % OffloadFile.ALIGNMENT) % OffloadFile.ALIGNMENT);
            if (skip % Float.BYTES != 0) throw new IllegalStateException("ND4J buffer at an odd address " + address);
            this.floats = allocation.get(NDArrayIndex.interval(skip / Float.BYTES, skip / Float.BYTES + floatsCapacity));
            this.bytes = OffloadFile.slice(allocation.data().asNio(), skip, (long) floatsCapacity * Float.BYTES);
            this.floatsBuffer = bytes.duplicate().order(ByteOrder.nativeOrder()).asFloatBuffer();
        }

        /** The frame's floats as a buffer indexed from its first float. */
        FloatBuffer floatView() {
            return floatsBuffer;
        }

        void free() {
            allocation.close();
        }
    }

    private OffloadWindow(OffloadConfig config) {
        this.config = config;
        long frameBytes = frameBytes(config.memoryBudget());
        long frameFloats = frameBytes / Float.BYTES;
        if (frameFloats > Integer.MAX_VALUE - OffloadFile.ALIGNMENT) {
            throw new IllegalArgumentException("optim.offload.memoryBudget=" + config.memoryBudget() + " bytes makes frames"
                    + " of more than 2^31 floats; use at most " + (3L * Integer.MAX_VALUE * Float.BYTES) + " bytes");
        }
        for (int f = 0; f < FRAMES; f++) frames[f] = new Frame((int) frameFloats);
        this.reader = Executors.newSingleThreadExecutor(daemon("spindle-offload-read"));
        this.writer = Executors.newSingleThreadExecutor(daemon("spindle-offload-write"));
    }

    /**
     * What the window keeps of the budget for its bookkeeping rather than frames: the I/O threads'
     * stacks, the frames' alignment, ND4J's shape information of the per-tensor views. Measured at
     * about 1.3 MB on a 27.5M-parameter model of ~75 tensors (FuyouMemoryCheck); 1/16 of small budgets.
     */
    static long reserve(long budget) {
        return Math.min(2L << 20, budget / 16);
    }

    /** Bytes of one frame for a budget: what is left after the reserve, in three, whole alignment blocks. */
    static long frameBytes(long budget) {
        return (budget - reserve(budget)) / FRAMES / OffloadFile.ALIGNMENT * OffloadFile.ALIGNMENT;
    }

    /** The smallest budget whose frames hold {@code bytes}, rounded up to a whole MiB above 1 MiB. */
    static long budgetFor(long bytes) {
        long budget = Math.max(OffloadConfig.MIN_BUDGET, FRAMES * bytes);
        while (frameBytes(budget) < bytes) budget += OffloadFile.ALIGNMENT;
        return budget;
    }

    /** A window of {@code config.memoryBudget()} bytes, owned by the caller (one reference). */
    public static OffloadWindow open(OffloadConfig config) {
        if (!config.enabled()) {
            throw new IllegalArgumentException("optim.offload.enabled=false: there is no offload window to open");
        }
        return new OffloadWindow(config);
    }

    public OffloadConfig config() {
        return config;
    }

    /** Floats one frame holds: the largest chunk, and so the largest tensor's record. */
    public int frameFloats() {
        return (int) frames[0].floats.length();
    }

    /** Bytes of all frames: what the window holds in memory for state, within the budget. */
    public long bytes() {
        return (long) FRAMES * frameFloats() * Float.BYTES;
    }

    /** The next frame in round-robin order (see the class comment for why it is free to reuse). */
    synchronized Frame next() {
        requireOpen();
        Frame f = frames[nextFrame];
        nextFrame = (nextFrame + 1) % FRAMES;
        return f;
    }

    /**
     * The frame {@link #next} would hand out, without handing it out. Between steps no chunk holds
     * it: the two frames before it hold at most the chunks a prefetch started reading, and a frame
     * being written back is waited for by any I/O scheduled on it. So a checkpoint reads the state
     * through it ({@link OffloadSnapshot}) and needs no memory outside the window.
     */
    synchronized Frame idle() {
        requireOpen();
        return frames[nextFrame];
    }

    /** Whether the elements of {@code t} lie inside one of the frames (tests: a snapshot that copies nothing). */
    boolean holds(INDArray t) {
        long at = t.data().address() + t.offset() * t.dataType().width();
        for (Frame f : frames) {
            long start = f.allocation.data().address();
            if (at >= start && at + t.length() * t.dataType().width() <= start + f.allocation.length() * Float.BYTES) {
                return true;
            }
        }
        return false;
    }

    /** Runs {@code read} on the reader thread after {@code after}; the frame's next user waits for it. */
    CompletableFuture<Void> read(Frame frame, CompletableFuture<?> after, IoTask read) {
        return schedule(frame, after, read, reader, bytesRead);
    }

    /** Runs {@code write} on the writer thread after the frame's previous I/O. */
    CompletableFuture<Void> write(Frame frame, IoTask write) {
        return schedule(frame, null, write, writer, bytesWritten);
    }

    /** Bytes read from offload files into this window so far (for benchmarks: bytes moved per step). */
    public long bytesRead() {
        return bytesRead.get();
    }

    /** Bytes written from this window to offload files so far. */
    public long bytesWritten() {
        return bytesWritten.get();
    }

    private synchronized CompletableFuture<Void> schedule(Frame frame, CompletableFuture<?> after, IoTask task,
                                                          ExecutorService thread, AtomicLong moved) {
        requireOpen();
        CompletableFuture<?> before = after == null ? frame.lastIo : CompletableFuture.allOf(frame.lastIo, after);
        CompletableFuture<Void> io = before.thenRunAsync(() -> {
            try {
                if (ioBeforeFault.getAndUpdate(n -> n > 0 ? n - 1 : -1) == 0) {
                    throw new IOException("injected fault (a test simulating a crash inside the offload pipeline)");
                }
                moved.addAndGet(task.run(frame.bytes));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, thread);
        // The frame's next user waits for this I/O whether it worked or not; the failure itself
        // reaches the store that scheduled it through the returned future.
        frame.lastIo = io.handle((v, e) -> null);
        return io;
    }

    /** One read or write between a file and a frame's bytes. */
    interface IoTask {
        /** Returns the bytes moved. */
        long run(ByteBuffer frame) throws IOException;
    }

    /** Makes the I/O operation after the next {@code operations} ones fail, as a crash would. For tests. */
    void failAfter(int operations) {
        ioBeforeFault.set(operations);
    }

    synchronized OffloadWindow retain() {
        requireOpen();
        references++;
        return this;
    }

    /** Drops one reference; the last one frees the frames and stops the I/O threads. */
    @Override
    public synchronized void close() {
        if (references == 0) return;
        if (--references > 0) return;
        reader.shutdownNow();
        writer.shutdownNow();
        for (Frame f : frames) f.free();
    }

    private void requireOpen() {
        if (references == 0) throw new IllegalStateException("the offload window is closed");
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
