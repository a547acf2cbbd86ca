package io.spindle.optim.offload;

import io.spindle.optim.ContiguousFloats;
import io.spindle.optim.ParamSlot;
import io.spindle.optim.state.StateStore;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * One store's step over its chunks, pipelined the way Fuyou pipelines the out-of-core optimizer
 * (Liao et al. 2024, §4): while chunk i is updated in memory, chunk i+1 is read on the reader thread
 * and chunk i-1 is written back on the writer thread. The optimizer walks the parameters in order
 * ({@link #slots}, {@link #weights}, {@link #commit} for each); the first touch of a chunk waits for
 * its read and starts the next one, the commit of a chunk's last parameter starts its write-back.
 * {@link #prefetch} starts the first two reads before the step, so they overlap forward and backward.
 *
 * <p>A chunk's read waits for that chunk's previous write-back, so a step never reads state older
 * than the last step wrote. The working parameter ({@link ParamSlot#value()}) receives the updated
 * master weights on {@link #commit}; with float32 working parameters that is an exact copy.
 */
final class ChunkPipeline implements StateStore.Step {
    private final ChunkPlan plan;
    private final OffloadFormat format;
    private final List<StateRecord> records;
    private final OffloadFile file;
    private final OffloadWindow window;
    private final OffloadWindow.Frame[] frames;
    private final CompletableFuture<Void>[] reads;
    private final CompletableFuture<Void>[] writes;
    private List<ParamSlot> params;
    private boolean seedMaster;
    private int current = -1;
    private int nextCommit;
    private boolean stepping;

    @SuppressWarnings("unchecked")
    ChunkPipeline(ChunkPlan plan, OffloadFormat format, List<StateRecord> records, OffloadFile file,
                  OffloadWindow window) {
        this.plan = plan;
        this.format = format;
        this.records = records;
        this.file = file;
        this.window = window;
        this.frames = new OffloadWindow.Frame[plan.chunks()];
        this.reads = new CompletableFuture[plan.chunks()];
        this.writes = new CompletableFuture[plan.chunks()];
    }

    /**
     * Starts a step over {@code params} (in the plan's order). With {@code seedMaster} the master
     * weights are taken from the working parameters as each chunk arrives: after a fresh start or a
     * restored checkpoint, whose parameters are the master weights.
     */
    void begin(List<ParamSlot> params, boolean seedMaster) {
        this.params = params;
        this.seedMaster = seedMaster;
        this.current = -1;
        this.nextCommit = 0;
        this.stepping = true;
    }

    /** Whether a step was begun and not every parameter committed (the step failed part-way). */
    boolean unfinished() {
        return stepping && nextCommit < records.size();
    }

    /** Starts reading the first two chunks, unless already under way. */
    void prefetch() {
        for (int c = 0; c < Math.min(2, plan.chunks()); c++) {
            if (reads[c] == null) startRead(c);
        }
    }

    @Override
    public INDArray[] slots(int i) {
        int at = resident(i);
        return format.expand(frames[current], (long) at * Float.BYTES, records.get(i));
    }

    @Override
    public INDArray weights(int i, ParamSlot p) {
        int at = resident(i);
        StateRecord r = records.get(i);
        return DenseOffloadFormat.floatView(frames[current], (long) at * Float.BYTES, r.masterFloats(), r.shape());
    }

    @Override
    public void commit(int i) {
        if (i != nextCommit || current != plan.chunkOf(i)) {
            throw new IllegalStateException("commit of parameter " + records.get(i).name() + " (index " + i + ") out of"
                    + " order; offloaded state is updated parameter by parameter, in order, each opened first");
        }
        StateRecord r = records.get(i);
        ParamSlot p = params.get(i);
        int at = plan.chunk(current).frameOffset(i);
        format.compress(frames[current], (long) at * Float.BYTES, r);
        ContiguousFloats.buffer(p.value(), "parameter " + p.name())
                .put(ContiguousFloats.start(p.value()), frames[current].floatView(), at, r.masterFloats());
        nextCommit++;
        ChunkPlan.Chunk chunk = plan.chunk(current);
        if (nextCommit == chunk.end()) {
            writes[current] = window.write(frames[current], buffer -> file.write(chunk.extents(), buffer));
            if (nextCommit == records.size()) stepping = false;
        }
    }

    /** The float offset of parameter {@code i}'s record in its frame, once its chunk is resident. */
    private int resident(int i) {
        if (current != plan.chunkOf(i)) ensure(i);
        return plan.chunk(current).frameOffset(i);
    }

    /** Makes parameter {@code i}'s chunk resident: waits for its read, starts the next chunk's. */
    private void ensure(int i) {
        int c = plan.chunkOf(i);
        if (c != current + 1) {
            throw new IllegalStateException("parameter " + records.get(i).name() + " (index " + i + ") opened out of"
                    + " order; offloaded state is read chunk after chunk, parameters in order");
        }
        if (current >= 0 && nextCommit < plan.chunk(current).end()) {
            throw new IllegalStateException("parameter " + records.get(nextCommit).name() + " was not committed"
                    + " before parameter " + records.get(i).name() + " was opened");
        }
        if (reads[c] == null) startRead(c);
        if (c + 1 < plan.chunks() && reads[c + 1] == null) startRead(c + 1);
        join(reads[c], "read");
        reads[c] = null;
        current = c;
        if (seedMaster) seedMasterFromParameters(plan.chunk(c));
    }

    private void startRead(int c) {
        OffloadWindow.Frame frame = window.next();
        frames[c] = frame;
        ChunkPlan.Chunk chunk = plan.chunk(c);
        reads[c] = window.read(frame, writes[c], buffer -> file.read(chunk.extents(), buffer));
    }

    private void seedMasterFromParameters(ChunkPlan.Chunk chunk) {
        FloatBuffer frame = frames[current].floatView();
        for (int i = chunk.first(); i < chunk.end(); i++) {
            ParamSlot p = params.get(i);
            FloatBuffer working = ContiguousFloats.buffer(p.value(), "parameter " + p.name());
            frame.put(chunk.frameOffset(i), working, ContiguousFloats.start(p.value()), records.get(i).masterFloats());
        }
    }

    /** Waits for every write-back (before the file is read directly, e.g. for a checkpoint). */
    void awaitWrites() {
        for (CompletableFuture<Void> w : writes) {
            if (w != null) join(w, "write-back");
        }
    }

    /** Waits for all I/O, failed or not, and forgets prefetched reads: before the file is replaced or closed. */
    void quiesce() {
        for (int c = 0; c < plan.chunks(); c++) {
            if (reads[c] != null) reads[c].handle((v, e) -> null).join();
            if (writes[c] != null) writes[c].handle((v, e) -> null).join();
            reads[c] = null;
        }
        stepping = false;
    }

    private static void join(CompletableFuture<Void> io, String what) {
        try {
            io.join();
        } catch (CompletionException e) {
            Throwable cause = e.getCause() instanceof java.io.UncheckedIOException u ? u.getCause() : e.getCause();
            throw new OffloadIoException("offloaded optimizer state: a chunk " + what + " failed: " + cause, cause);
        }
    }
}
