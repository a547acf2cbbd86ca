package io.spindle.optim.offload;

import io.spindle.optim.ParamSlot;
import io.spindle.optim.state.StateStore;
import io.spindle.optim.state.StateTensors;
import io.spindle.optim.state.TensorSource;
import io.spindle.optim.state.TensorSpec;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Fuyou-style offloaded optimizer state: every parameter's fp32 master weights and its slots
 * (AdamW's m and v, the Muon family's momentum, NorMuon's per-row second moment; float32 or COAT
 * FP8, see {@link OffloadFormat}) live in a scratch file on local SSD ({@link OffloadFile}); a step
 * streams them through the shared {@link OffloadWindow} in chunks of whole tensors ({@link
 * ChunkPlan}, {@link ChunkPipeline}). The optimizer computes on the master copy in the window;
 * {@link Step#commit} copies it into the model's working parameter, so with float32 working
 * parameters every step is bit-identical to the same optimizer with in-memory state of the same format.
 *
 * <p>Checkpoints: {@link #snapshotSource} reads the state from the file into the in-memory store's
 * checkpoint form (dense: {@code step}, {@code <param>/<slot>} float32; COAT: as {@link
 * io.spindle.optim.coat.CoatStateStore} writes it) one tensor at a time as the checkpoint writer
 * reaches it, and {@link #load(TensorSource)} takes that form a tensor at a time, so a state larger
 * than memory is checkpointed and resumed, with or without offload on the other side. The master weights are not in the
 * checkpoint: they equal the checkpointed parameters, and are seeded from the working parameters on
 * the first step after a fresh start or a load.
 *
 * <p>A step that fails part-way (an I/O error, an exception in the optimizer) leaves the file
 * partly updated; the store then refuses further steps until the state is loaded again from a
 * checkpoint, which is what a relaunched run does. Owns its file and one reference to the window.
 */
public final class OffloadStateStore implements StateStore {
    private final List<String> slotNames;
    private final boolean[] perRow;
    private final OffloadFormat format;
    private final OffloadWindow window;
    private final Map<String, StateRecord> layout = new LinkedHashMap<>();
    private OffloadFile file;
    private ChunkPipeline pipeline;
    private List<String> pipelineOrder = List.of();
    private boolean seedMaster = true;
    private String broken;
    private boolean closed;
    private long step;
    /** Counts steps opened and loads, so a {@link #snapshotSource} taken before either refuses to read on. */
    private long generation;

    private OffloadStateStore(String[] slotNames, boolean[] perRow, OffloadWindow window,
                              java.util.function.BiFunction<List<String>, boolean[], OffloadFormat> format) {
        StateTensors.requireSlotNames(slotNames, perRow);
        this.slotNames = List.of(slotNames);
        this.perRow = perRow.clone();
        this.format = format.apply(this.slotNames, this.perRow);
        this.window = window.retain();
    }

    /** Float32 slots ({@code perRow[s]}: a [rows, 1] statistic) offloaded through {@code window}, which it retains. */
    public static OffloadStateStore dense(String[] slotNames, boolean[] perRow, OffloadWindow window) {
        return new OffloadStateStore(slotNames, perRow, window, DenseOffloadFormat::new);
    }

    /** COAT FP8 slots with group size G (per-row slots stay float32), offloaded through {@code window}. */
    public static OffloadStateStore coat(int groupSize, String[] slotNames, boolean[] perRow, OffloadWindow window) {
        for (String s : slotNames) {
            if (s.contains(".")) {
                throw new IllegalArgumentException("slot name '" + s + "' must not contain '.' (COAT adds suffixes)");
            }
        }
        return new OffloadStateStore(slotNames, perRow, window, (names, rows) -> new CoatOffloadFormat(groupSize, names, rows));
    }

    @Override
    public long step() {
        return step;
    }

    @Override
    public void advance() {
        step++;
    }

    @Override
    public Step open(List<ParamSlot> params) {
        requireUsable();
        if (pipeline != null && pipeline.unfinished()) {
            broken = "the step before did not commit every parameter";
            requireUsable();
        }
        boolean fresh = layout.isEmpty() && step == 0;
        List<StateRecord> records = fresh ? freshLayout(params) : recordsFor(params);
        List<String> order = params.stream().map(ParamSlot::name).toList();
        if (pipeline == null || !order.equals(pipelineOrder)) {
            ChunkPlan plan = new ChunkPlan(records, window.frameFloats(), window.config().memoryBudget());
            if (fresh) {
                createFile(records);
                initializeFresh(records);
            }
            if (pipeline != null) {
                pipeline.awaitWrites();
                pipeline.quiesce();
            }
            pipeline = new ChunkPipeline(plan, format, records, file, window);
            pipelineOrder = order;
            format.prepare(records);
        }
        pipeline.begin(params, seedMaster);
        seedMaster = false;
        generation++;
        return new FailureRecordingStep(pipeline);
    }

    /** Marks the store broken when any part of a step throws, so a half-updated state is never stepped on. */
    private final class FailureRecordingStep implements Step {
        private final ChunkPipeline steps;

        FailureRecordingStep(ChunkPipeline steps) {
            this.steps = steps;
        }

        @Override
        public INDArray[] slots(int i) {
            try {
                return steps.slots(i);
            } catch (RuntimeException e) {
                throw fail(e);
            }
        }

        @Override
        public INDArray weights(int i, ParamSlot p) {
            try {
                return steps.weights(i, p);
            } catch (RuntimeException e) {
                throw fail(e);
            }
        }

        @Override
        public void commit(int i) {
            try {
                steps.commit(i);
            } catch (RuntimeException e) {
                throw fail(e);
            }
        }
    }

    private RuntimeException fail(RuntimeException e) {
        broken = e.toString();
        return e;
    }

    @Override
    public void prefetch() {
        if (broken == null && !closed && pipeline != null && !pipeline.unfinished()) pipeline.prefetch();
    }

    private List<StateRecord> freshLayout(List<ParamSlot> params) {
        List<StateRecord> records = new ArrayList<>(params.size());
        Set<String> seen = new HashSet<>();
        long offset = 0;
        for (ParamSlot p : params) {
            if (!seen.add(p.name())) throw new IllegalArgumentException("parameter " + p.name() + " is passed twice");
            StateRecord r = record(p.name(), p.shape(), offset);
            records.add(r);
            offset += r.bytes();
        }
        return records;
    }

    private StateRecord record(String name, long[] shape, long offset) {
        long[][] slotShapes = new long[slotNames.size()][];
        long[] sectionBytes = new long[slotNames.size()];
        for (int s = 0; s < slotShapes.length; s++) {
            slotShapes[s] = StateTensors.slotShape(slotNames, perRow, s, shape);
            sectionBytes[s] = format.sectionBytes(s, slotShapes[s]);
        }
        return StateRecord.of(name, shape, offset, slotShapes, sectionBytes);
    }

    private List<StateRecord> recordsFor(List<ParamSlot> params) {
        List<StateRecord> records = new ArrayList<>(params.size());
        Set<String> seen = new HashSet<>();
        for (ParamSlot p : params) {
            if (!seen.add(p.name())) throw new IllegalArgumentException("parameter " + p.name() + " is passed twice");
            StateRecord r = layout.get(p.name());
            if (r == null) {
                throw new IllegalArgumentException("no optimizer state for parameter " + p.name() + " at step " + step
                        + "; the state holds " + layout.keySet());
            }
            StateTensors.requireShape(StateTensors.key(p.name(), slotNames.get(0)), r.shape(), p.shape(),
                    "parameter " + p.name());
            records.add(r);
        }
        if (seen.size() != layout.size()) {
            Set<String> unused = new TreeSet<>(layout.keySet());
            unused.removeAll(seen);
            throw new IllegalArgumentException("optimizer state holds parameters that were not passed to step: " + unused);
        }
        return records;
    }

    /** A new zero-filled file laid out for {@code records}, replacing the current one. */
    private void createFile(List<StateRecord> records) {
        install(newFile(records), records);
    }

    /** A new zero-filled file large enough for {@code records}; the store does not use it yet. */
    private OffloadFile newFile(List<StateRecord> records) {
        long bytes = 0;
        for (StateRecord r : records) bytes = Math.max(bytes, r.fileOffset() + r.bytes());
        try {
            return OffloadFile.create(window.config().directory(), bytes, window.config().directIo());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create an offload file of " + bytes + " bytes in "
                    + window.config().directory() + " (optim.offload.dir): " + e.getMessage(), e);
        }
    }

    private void install(OffloadFile created, List<StateRecord> records) {
        closeFile();
        file = created;
        layout.clear();
        for (StateRecord r : records) layout.put(r.name(), r);
    }

    private void initializeFresh(List<StateRecord> records) {
        try {
            for (StateRecord r : records) format.initialize(r, file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the initial optimizer state to the offload file in "
                    + window.config().directory() + ": " + e.getMessage(), e);
        }
    }

    /** The state gathered from the file into the in-memory store's checkpoint format, all in memory. */
    @Override
    public Map<String, INDArray> snapshot() {
        return snapshotSource().toMap();
    }

    /**
     * The in-memory store's checkpoint form ({@code step}, the format's header, then each
     * parameter's tensors), each read from the file when the consumer reaches it and freed after,
     * so a checkpoint holds one slot's tensor of the state at a time. Refuses to read after the
     * next step or load, which would change the file underneath it.
     */
    @Override
    public TensorSource snapshotSource() {
        requireUsable();
        if (pipeline != null && pipeline.unfinished()) {
            throw new IllegalStateException("a snapshot of offloaded optimizer state is taken between steps, not while"
                    + " parameters of a step are still to be committed");
        }
        if (pipeline != null) pipeline.awaitWrites();
        long takenAt = generation;
        // each record is read whole into one frame: refused as a step would refuse it if it does not fit
        new ChunkPlan(List.copyOf(layout.values()), window.frameFloats(), window.config().memoryBudget());
        return new OffloadSnapshot(step, format, List.copyOf(layout.values()), file, window, () -> {
            requireUsable();
            if (generation != takenAt) {
                throw new IllegalStateException("the offloaded optimizer state has changed since this snapshot"
                        + " was taken (a step or a load); take a new one");
            }
        });
    }

    @Override
    public Map<String, INDArray> values() {
        return format.values(snapshot());
    }

    @Override
    public void load(Map<String, INDArray> tensors) {
        load(tensors == null ? null : TensorSource.of(tensors));
    }

    /**
     * Writes a checkpoint's state, a tensor (COAT: a parameter) at a time, into a new file laid out
     * in the checkpoint's order, and seeds the master weights from the working parameters at the
     * next step. Names, types and shapes are checked before anything is read; the new file replaces
     * the current one only when all of it is written, so nothing changes when this throws (a store
     * that already holds state needs room for both files meanwhile). Clears a failed step's damage.
     */
    @Override
    public void load(TensorSource tensors) {
        if (closed) throw new IllegalStateException("the offloaded optimizer state is closed");
        if (tensors == null) throw new IllegalArgumentException("optimizer state is null");
        List<TensorSpec> specs = tensors.specs();
        if (specs.stream().noneMatch(t -> t.name().equals(STEP))) {
            throw new IllegalArgumentException("optimizer state is missing tensor " + STEP);
        }
        Map<String, long[]> shapes = format.shapes(specs);
        if (!layout.isEmpty()) requireSameParams(shapes);
        long loadedStep = StateTensors.readStep(tensors);
        List<StateRecord> records = new ArrayList<>();
        Map<String, StateRecord> byName = new LinkedHashMap<>();
        long offset = 0;
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            StateRecord r = record(e.getKey(), e.getValue(), offset);
            records.add(r);
            byName.put(r.name(), r);
            offset += r.bytes();
        }
        OffloadFile created = newFile(records);
        try {
            format.load(tensors, byName, created);
        } catch (IOException | RuntimeException e) {
            try {
                created.close();
            } catch (IOException closing) {
                e.addSuppressed(closing);
            }
            if (e instanceof RuntimeException r) throw r;
            throw new UncheckedIOException("cannot write the optimizer state to the offload file in "
                    + window.config().directory() + ": " + e.getMessage(), (IOException) e);
        }
        if (pipeline != null) pipeline.quiesce();
        pipeline = null;
        pipelineOrder = List.of();
        install(created, records);
        step = loadedStep;
        seedMaster = true;
        broken = null;
        generation++;
    }

    private void requireSameParams(Map<String, long[]> loaded) {
        if (!loaded.keySet().equals(layout.keySet())) {
            throw new IllegalArgumentException("optimizer state holds parameters " + loaded.keySet()
                    + " but this optimizer has " + layout.keySet());
        }
        for (StateRecord r : layout.values()) {
            StateTensors.requireShape(StateTensors.key(r.name(), slotNames.get(0)), loaded.get(r.name()), r.shape(),
                    "the optimizer's current state");
        }
    }

    /**
     * State held in memory outside the shared window ({@link OffloadWindow#bytes}): nothing for
     * float32 slots, COAT's float32 scratch for the largest parameter.
     */
    @Override
    public long bytes() {
        return format.scratchBytes();
    }

    /** Bytes of the offload file: master weights plus state. */
    public long fileBytes() {
        long total = 0;
        for (StateRecord r : layout.values()) total += r.bytes();
        return total;
    }

    private void requireUsable() {
        if (closed) throw new IllegalStateException("the offloaded optimizer state is closed");
        if (broken != null) {
            throw new IllegalStateException("the offloaded optimizer state is inconsistent after a failed step ("
                    + broken + "); resume the run from its last checkpoint");
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        if (pipeline != null) pipeline.quiesce();
        closeFile();
        window.close();
    }

    private void closeFile() {
        if (file == null) return;
        try {
            file.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close an offload file: " + e.getMessage(), e);
        }
        file = null;
    }

    @Override
    public String toString() {
        return "offloaded " + slotNames + " (per row " + Arrays.toString(perRow) + ") of " + layout.size() + " parameters";
    }
}
