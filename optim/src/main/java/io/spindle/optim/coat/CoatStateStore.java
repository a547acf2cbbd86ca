package io.spindle.optim.coat;

import io.spindle.optim.ParamSlot;
import io.spindle.optim.state.SlotChunks;
import io.spindle.optim.state.StateStore;
import io.spindle.optim.state.StateTensors;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Optimizer state stored the COAT way: every slot shaped like its parameter (Adam's m and v,
 * the Muon family's momentum) is kept as E4M3 bytes with range expansion per group of G elements
 * ({@link CoatQuantizer}); a per-row statistic (NorMuon's second moment, one value per output
 * neuron) stays float32, since it is a negligible fraction of the state.
 *
 * <p>Two ways in, with the same result bit for bit (the golden "coat-adamw" rule: the step uses
 * the updated full-precision moments, the stored state is their quantized value):
 * <ul>
 * <li>{@link Step#chunks} (AdamW, LAMB): the codec is fused into the optimizer's update loop, a
 *     chunk of whole groups at a time: decode into a small float array, update, encode back, so
 *     the full-precision state never leaves the cache;</li>
 * <li>{@link Step#slots} (the Muon family, whose Newton–Schulz needs the whole matrix): the slots
 *     are dequantized into float32 scratch shaped like the parameter, and {@link Step#commit}
 *     quantizes them back. The scratch is sized to the largest parameter and reused.</li>
 * </ul>
 *
 * <p>Per group the store keeps the max (float32) and k as a 16-bit code: 6 bytes beside G code
 * bytes, 2 (1 + 6/G) bytes per parameter for Adam's two moments. Checkpoint names and the
 * conversion of the earlier max/min layout are in {@link CoatCheckpoint}; a resumed run continues
 * bit-identically.
 */
public final class CoatStateStore implements StateStore {
    /** Checkpoint name of the group size, so a state cannot be read back with another G. */
    public static final String GROUP_SIZE = "coat.group_size";
    /** Checkpoint suffixes of a compressed slot: E4M3 codes (int8, the parameter's shape), per-group max and k (float32). */
    public static final String CODES = ".fp8";
    public static final String MAX = ".max";
    public static final String K = ".k";
    /** Elements per heap chunk when moving between scratch and codes: a whole number of groups. */
    private static final int CHUNK_TARGET = 16_384;
    /** Elements per chunk of the fused update loop: whole groups, about 1,024 values, so all arrays stay in L1. */
    private static final int FUSED_TARGET = 1024;
    /** Per-thread chunk buffers for the parallel codec; sized for the largest group size in use. */
    private static final ThreadLocal<float[]> CHUNK_BUFFERS = ThreadLocal.withInitial(() -> new float[0]);

    private final CoatQuantizer quantizer;
    private final List<String> slotNames;
    private final boolean[] perRow;
    private final Map<String, Entry> byParam = new LinkedHashMap<>();
    private final INDArray[] scratch;
    /** The views of {@link #scratch} handed out by the open parameter's {@link Step#slots}; null after the fused path. */
    private final INDArray[] views;
    /** The calling thread's chunk buffer for single-chunk parameters. */
    private final float[] chunk;
    /** The fused path's chunk arrays, one per slot (null for per-row slots), reused across parameters. */
    private final float[][] fused;
    private long step;

    /** One parameter's state: per slot either codes with per-group max and k code, or a dense per-row array. */
    static final class Entry {
        final long[] shape;
        final int length;
        final byte[][] codes;
        final float[][] max;
        final short[][] k16;
        final INDArray[] dense;

        Entry(long[] shape, int slots) {
            this.shape = shape.clone();
            this.length = Math.toIntExact(Arrays.stream(shape).reduce(1, (a, b) -> a * b));
            this.codes = new byte[slots][];
            this.max = new float[slots][];
            this.k16 = new short[slots][];
            this.dense = new INDArray[slots];
        }
    }

    /** A store for the slots {@code slotNames}; {@code perRow[s]} marks a [rows, 1] statistic kept dense. */
    public CoatStateStore(int groupSize, String[] slotNames, boolean[] perRow) {
        StateTensors.requireSlotNames(slotNames, perRow);
        for (String s : slotNames) {
            if (s.contains(".")) {
                throw new IllegalArgumentException("slot name '" + s + "' must not contain '.' (COAT adds suffixes)");
            }
        }
        this.quantizer = new CoatQuantizer(groupSize);
        this.slotNames = List.of(slotNames);
        this.perRow = perRow.clone();
        this.scratch = new INDArray[slotNames.length];
        this.views = new INDArray[slotNames.length];
        int groupsPerChunk = Math.max(1, CHUNK_TARGET / groupSize);
        this.chunk = new float[groupsPerChunk * groupSize];
        this.fused = new float[slotNames.length][];
        int fusedLength = Math.max(1, FUSED_TARGET / groupSize) * groupSize;
        for (int s = 0; s < slotNames.length; s++) {
            if (!perRow[s]) fused[s] = new float[fusedLength];
        }
    }

    /** A {@link #K} tensor (k per group, float32) of the 16-bit codes k·16, as checkpoints hold it. */
    public static INDArray kTensor(short[] k16) {
        return CoatCheckpoint.kTensor(k16);
    }

    /** The 16-bit codes k·16 of a {@link #K} tensor named {@code name} of {@code groups} values, checked. */
    public static short[] k16Of(INDArray k, int groups, String name) {
        return CoatCheckpoint.k16Of(k, groups, name);
    }

    /** Checks a checkpoint's {@link #GROUP_SIZE} tensor ({@code null}: missing) against the store's G. */
    public static void requireGroupSize(INDArray g, int groupSize) {
        if (g == null || g.length() != 1 || g.getLong(0) != groupSize) {
            throw new IllegalArgumentException("optimizer state was not written by COAT with group size "
                    + groupSize + " (" + GROUP_SIZE + " = " + (g == null ? "missing" : g.getLong(0))
                    + "); resume with the optim.state and optim.coatGroupSize the run was started with");
        }
    }

    public int groupSize() {
        return quantizer.groupSize();
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
        boolean fresh = byParam.isEmpty() && step == 0;
        Map<String, Entry> created = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>(params.size());
        Set<String> seen = new HashSet<>();
        int largest = 0;
        for (ParamSlot p : params) {
            if (!seen.add(p.name())) throw new IllegalArgumentException("parameter " + p.name() + " is passed twice");
            Entry e = byParam.get(p.name());
            if (e == null && fresh) {
                e = zeros(p.shape());
                created.put(p.name(), e);
            } else if (e == null) {
                throw new IllegalArgumentException("no optimizer state for parameter " + p.name() + " at step " + step
                        + "; the state holds " + byParam.keySet());
            } else if (!Arrays.equals(e.shape, p.shape())) {
                throw new IllegalArgumentException("optimizer state of " + p.name() + " has shape "
                        + Arrays.toString(e.shape) + " but the parameter has shape " + Arrays.toString(p.shape()));
            }
            entries.add(e);
            largest = Math.max(largest, e.length);
        }
        if (!fresh && seen.size() != byParam.size()) {
            Set<String> unused = new HashSet<>(byParam.keySet());
            unused.removeAll(seen);
            throw new IllegalArgumentException("optimizer state holds parameters that were not passed to step: " + unused);
        }
        byParam.putAll(created);
        int scratchLength = largest;
        return new Step() {
            @Override
            public INDArray[] slots(int i) {
                // allocated on first use: the fused path (AdamW, LAMB) needs no whole-parameter scratch
                ensureScratch(scratchLength);
                return expand(entries.get(i));
            }

            @Override
            public SlotChunks chunks(int i) {
                Arrays.fill(views, null);
                return new FusedChunks(entries.get(i), fused);
            }

            @Override
            public void commit(int i) {
                compress(entries.get(i));
            }
        };
    }

    /**
     * The fused path: each chunk decoded into {@code fused} (the store's arrays for the first
     * cursor, new ones for {@link #another()}) on read and encoded back on write.
     */
    private final class FusedChunks implements SlotChunks {
        private final Entry e;
        private final float[][] fused;

        FusedChunks(Entry e, float[][] fused) {
            this.e = e;
            this.fused = fused;
        }

        @Override
        public SlotChunks another() {
            float[][] own = new float[fused.length][];
            for (int s = 0; s < fused.length; s++) {
                if (fused[s] != null) own[s] = new float[fused[s].length];
            }
            // chunks are whole groups, so two cursors never write the same codes, max or k
            return new FusedChunks(e, own);
        }

        @Override
        public int chunkLength() {
            for (float[] f : fused) {
                if (f != null) return f.length;
            }
            throw new IllegalStateException("no slot is shaped like the parameter");
        }

        @Override
        public float[] slot(int s) {
            return fused[s];
        }

        @Override
        public void read(int start, int length) {
            for (int s = 0; s < fused.length; s++) {
                if (!perRow[s]) quantizer.dequantize(e.codes[s], start, length, start, e.max[s], e.k16[s], fused[s], 0);
            }
        }

        @Override
        public void write(int start, int length) {
            for (int s = 0; s < fused.length; s++) {
                if (!perRow[s]) quantizer.quantize(fused[s], 0, length, start, e.codes[s], start, e.max[s], e.k16[s]);
            }
        }
    }

    private Entry zeros(long[] shape) {
        Entry e = new Entry(shape, slotNames.size());
        for (int s = 0; s < slotNames.size(); s++) {
            if (perRow[s]) {
                e.dense[s] = Nd4j.zeros(DataType.FLOAT, StateTensors.perRowShape(slotNames.get(s), shape));
            } else {
                // All-zero groups: code 0 dequantizes to 0 whatever max and k say; store what quantize would.
                e.codes[s] = new byte[e.length];
                e.max[s] = new float[quantizer.groups(e.length)];
                e.k16[s] = new short[quantizer.groups(e.length)];
                Arrays.fill(e.max[s], (float) CoatQuantizer.TINY);
                Arrays.fill(e.k16[s], (short) CoatQuantizer.k16((float) CoatQuantizer.TINY, (float) CoatQuantizer.TINY));
            }
        }
        return e;
    }

    private void ensureScratch(int length) {
        for (int s = 0; s < scratch.length; s++) {
            if (!perRow[s] && (scratch[s] == null || scratch[s].length() < length)) {
                scratch[s] = Nd4j.createUninitialized(DataType.FLOAT, Math.max(1, length));
            }
        }
    }

    /** Dequantizes an entry's slots into the scratch, shaped like the parameter. */
    private INDArray[] expand(Entry e) {
        INDArray[] out = new INDArray[slotNames.size()];
        for (int s = 0; s < out.length; s++) {
            if (perRow[s]) {
                out[s] = e.dense[s];
                continue;
            }
            INDArray view = scratch[s].get(NDArrayIndex.interval(0, e.length)).reshape('c', e.shape);
            FloatBuffer buffer = view.data().asNioFloat();
            int base = Math.toIntExact(view.offset());
            byte[] codes = e.codes[s];
            float[] max = e.max[s];
            short[] k16 = e.k16[s];
            forEachChunk(e.length, (start, len, chunk) -> {
                quantizer.dequantize(codes, start, len, start, max, k16, chunk, 0);
                buffer.put(base + start, chunk, 0, len);
            });
            out[s] = view;
            views[s] = view;
        }
        return out;
    }

    /** Quantizes the scratch back into the entry's codes; nothing to do after the fused path, which wrote as it went. */
    private void compress(Entry e) {
        for (int s = 0; s < slotNames.size(); s++) {
            if (perRow[s]) continue;
            if (views[s] == null) continue;
            if (views[s].length() != e.length) {
                throw new IllegalStateException("commit of a parameter whose slots were not opened");
            }
            FloatBuffer buffer = views[s].data().asNioFloat();
            int base = Math.toIntExact(views[s].offset());
            byte[] codes = e.codes[s];
            float[] max = e.max[s];
            short[] k16 = e.k16[s];
            forEachChunk(e.length, (start, len, chunk) -> {
                buffer.get(base + start, chunk, 0, len);
                quantizer.quantize(chunk, 0, len, start, codes, start, max, k16);
            });
            views[s] = null;
        }
    }

    private interface ChunkTask {
        void run(int start, int length, float[] chunk);
    }

    /**
     * Runs {@code task} over [0, n) in whole-group chunks, on the common fork-join pool when there
     * is more than one chunk: the codec is compute-bound (unlike dense AdamW, which is bound by
     * memory), so it scales with cores, and chunks touch disjoint groups and bytes. Absolute
     * get/put on a shared FloatBuffer are safe for disjoint ranges.
     */
    private void forEachChunk(int n, ChunkTask task) {
        int chunkLength = chunk.length;
        int chunks = (n + chunkLength - 1) / chunkLength;
        if (chunks <= 1) {
            task.run(0, n, chunk);
            return;
        }
        java.util.stream.IntStream.range(0, chunks).parallel().forEach(c -> {
            int start = c * chunkLength;
            task.run(start, Math.min(chunkLength, n - start), threadChunk(chunkLength));
        });
    }

    private static float[] threadChunk(int length) {
        float[] buffer = CHUNK_BUFFERS.get();
        if (buffer.length < length) {
            buffer = new float[length];
            CHUNK_BUFFERS.set(buffer);
        }
        return buffer;
    }

    @Override
    public Map<String, INDArray> snapshot() {
        Map<String, INDArray> out = new LinkedHashMap<>();
        out.put(STEP, Nd4j.scalar(DataType.INT64, step));
        out.put(GROUP_SIZE, Nd4j.scalar(DataType.INT64, (long) quantizer.groupSize()));
        forEachCompressedSlot(out, (key, e, s) -> CoatCheckpoint.put(out, key, e.shape, e.codes[s], e.max[s], e.k16[s]));
        return out;
    }

    @Override
    public Map<String, INDArray> values() {
        Map<String, INDArray> out = new LinkedHashMap<>();
        out.put(STEP, Nd4j.scalar(DataType.INT64, step));
        forEachCompressedSlot(out, (key, e, s) -> {
            float[] values = new float[e.length];
            quantizer.dequantize(e.codes[s], 0, e.length, 0, e.max[s], e.k16[s], values, 0);
            out.put(key, Nd4j.createFromArray(values).reshape('c', e.shape));
        });
        return out;
    }

    private interface SlotVisitor {
        void visit(String key, Entry entry, int slot);
    }

    /** Copies every per-row slot into {@code out} as it is and hands every compressed slot to {@code visitor}. */
    private void forEachCompressedSlot(Map<String, INDArray> out, SlotVisitor visitor) {
        for (Map.Entry<String, Entry> pe : byParam.entrySet()) {
            Entry e = pe.getValue();
            for (int s = 0; s < slotNames.size(); s++) {
                String key = StateTensors.key(pe.getKey(), slotNames.get(s));
                if (perRow[s]) {
                    out.put(key, e.dense[s].dup('c'));
                } else {
                    visitor.visit(key, e, s);
                }
            }
        }
    }

    /** Codes, then per group a float32 max and a 16-bit k code; per-row slots float32. */
    @Override
    public long bytes() {
        long total = 0;
        for (Entry e : byParam.values()) {
            for (int s = 0; s < slotNames.size(); s++) {
                total += perRow[s] ? e.dense[s].length() * Float.BYTES
                        : e.codes[s].length + (long) e.max[s].length * Float.BYTES + (long) e.k16[s].length * Short.BYTES;
            }
        }
        return total;
    }

    /**
     * Replaces the state with a {@link #snapshot()}, or with a checkpoint of the earlier layout
     * (per-group max and min), which {@link CoatCheckpoint} converts.
     */
    @Override
    public void load(Map<String, INDArray> tensors) {
        if (tensors == null) throw new IllegalArgumentException("optimizer state is null");
        long loadedStep = StateTensors.readStep(tensors);
        requireGroupSize(tensors.get(GROUP_SIZE), quantizer.groupSize());
        Map<String, Entry> loaded = new LinkedHashMap<>();
        Map<String, Map<String, INDArray>> byName = new LinkedHashMap<>();
        for (Map.Entry<String, INDArray> t : tensors.entrySet()) {
            String name = t.getKey();
            if (name.equals(STEP) || name.equals(GROUP_SIZE)) continue;
            int cut = name.lastIndexOf('/');
            if (cut < 0) {
                throw new IllegalArgumentException("unexpected optimizer state tensor " + name + "; expected " + STEP
                        + ", " + GROUP_SIZE + " and <param>/<slot>[" + CoatCheckpoint.PARTS + "] with slot in "
                        + slotNames);
            }
            byName.computeIfAbsent(name.substring(0, cut), k -> new LinkedHashMap<>()).put(name.substring(cut + 1),
                    t.getValue());
        }
        CoatCheckpoint reader = new CoatCheckpoint(quantizer, slotNames, perRow);
        for (Map.Entry<String, Map<String, INDArray>> pe : byName.entrySet()) {
            loaded.put(pe.getKey(), reader.entryOf(pe.getKey(), pe.getValue()));
        }
        if (!byParam.isEmpty() && !byParam.keySet().equals(loaded.keySet())) {
            throw new IllegalArgumentException("optimizer state holds parameters " + loaded.keySet()
                    + " but this optimizer has " + byParam.keySet());
        }
        for (Map.Entry<String, Entry> le : loaded.entrySet()) {
            Entry current = byParam.get(le.getKey());
            if (current != null && !Arrays.equals(current.shape, le.getValue().shape)) {
                throw new IllegalArgumentException("optimizer state of " + le.getKey() + " has shape "
                        + Arrays.toString(le.getValue().shape) + " but the optimizer's current state has shape "
                        + Arrays.toString(current.shape));
            }
        }
        byParam.clear();
        byParam.putAll(loaded);
        step = loadedStep;
    }
}
