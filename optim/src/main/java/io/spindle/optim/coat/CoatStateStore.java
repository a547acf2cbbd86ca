package io.spindle.optim.coat;

import io.spindle.optim.ParamSlot;
import io.spindle.optim.state.StateStore;
import io.spindle.optim.state.StateTensors;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.nio.ByteBuffer;
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
 * <p>On {@link Step#slots} a parameter's slots are dequantized into float32 scratch shaped like
 * it; the optimizer updates them in full precision and takes its step with them; {@link
 * Step#commit} quantizes them back (the golden "coat-adamw" rule). The scratch is sized to the
 * largest parameter and reused, so the full-precision state of only one parameter exists at a time.
 *
 * <p>Checkpoint names: {@code <param>/<slot>.fp8} (int8, the parameter's shape), {@code
 * <param>/<slot>.max} and {@code .min} (float32, one per group), per-row slots as {@code
 * <param>/<slot>}, the step as {@code step} and the group size as {@code coat.group_size}: the
 * compressed state is saved as it is, and a resumed run continues bit-identically.
 */
public final class CoatStateStore implements StateStore {
    /** Checkpoint name of the group size, so a state cannot be read back with another G. */
    public static final String GROUP_SIZE = "coat.group_size";
    public static final String CODES = ".fp8";
    public static final String MAX = ".max";
    public static final String MIN = ".min";
    /** Elements per heap chunk when moving between scratch and codes: a whole number of groups. */
    private static final int CHUNK_TARGET = 16_384;
    /** Per-thread chunk buffers for the parallel codec; sized for the largest group size in use. */
    private static final ThreadLocal<float[]> CHUNK_BUFFERS = ThreadLocal.withInitial(() -> new float[0]);

    private final CoatQuantizer quantizer;
    private final List<String> slotNames;
    private final boolean[] perRow;
    private final Map<String, Entry> byParam = new LinkedHashMap<>();
    private final INDArray[] scratch;
    /** The views of {@link #scratch} handed out by the open parameter's {@link Step#slots}. */
    private final INDArray[] views;
    /** The calling thread's chunk buffer for single-chunk parameters. */
    private final float[] chunk;
    private long step;

    /** One parameter's state: per slot either codes with per-group max/min, or a dense per-row array. */
    private static final class Entry {
        final long[] shape;
        final int length;
        final byte[][] codes;
        final float[][] max;
        final float[][] min;
        final INDArray[] dense;

        Entry(long[] shape, int slots) {
            this.shape = shape.clone();
            this.length = Math.toIntExact(Arrays.stream(shape).reduce(1, (a, b) -> a * b));
            this.codes = new byte[slots][];
            this.max = new float[slots][];
            this.min = new float[slots][];
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
        ensureScratch(largest);
        return new Step() {
            @Override
            public INDArray[] slots(int i) {
                return expand(entries.get(i));
            }

            @Override
            public void commit(int i) {
                compress(entries.get(i));
            }
        };
    }

    private Entry zeros(long[] shape) {
        Entry e = new Entry(shape, slotNames.size());
        for (int s = 0; s < slotNames.size(); s++) {
            if (perRow[s]) {
                e.dense[s] = Nd4j.zeros(DataType.FLOAT, StateTensors.perRowShape(slotNames.get(s), shape));
            } else {
                // All-zero groups: code 0 dequantizes to 0 whatever max/min say; store what quantize would.
                e.codes[s] = new byte[e.length];
                e.max[s] = new float[quantizer.groups(e.length)];
                e.min[s] = new float[quantizer.groups(e.length)];
                Arrays.fill(e.max[s], (float) CoatQuantizer.TINY);
                Arrays.fill(e.min[s], (float) CoatQuantizer.TINY);
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
            float[] min = e.min[s];
            forEachChunk(e.length, (start, len, chunk) -> {
                quantizer.dequantize(codes, start, len, start, max, min, chunk, 0);
                buffer.put(base + start, chunk, 0, len);
            });
            out[s] = view;
            views[s] = view;
        }
        return out;
    }

    /** Quantizes the scratch back into the entry's codes. */
    private void compress(Entry e) {
        for (int s = 0; s < slotNames.size(); s++) {
            if (perRow[s]) continue;
            if (views[s] == null || views[s].length() != e.length) {
                throw new IllegalStateException("commit of a parameter whose slots were not opened");
            }
            FloatBuffer buffer = views[s].data().asNioFloat();
            int base = Math.toIntExact(views[s].offset());
            byte[] codes = e.codes[s];
            float[] max = e.max[s];
            float[] min = e.min[s];
            forEachChunk(e.length, (start, len, chunk) -> {
                buffer.get(base + start, chunk, 0, len);
                quantizer.quantize(chunk, 0, len, start, codes, start, max, min);
            });
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
        forEachCompressedSlot(out, (key, e, s) -> {
            out.put(key + CODES, Nd4j.createFromArray(e.codes[s].clone()).reshape('c', e.shape));
            out.put(key + MAX, Nd4j.createFromArray(e.max[s].clone()));
            out.put(key + MIN, Nd4j.createFromArray(e.min[s].clone()));
        });
        return out;
    }

    @Override
    public Map<String, INDArray> values() {
        Map<String, INDArray> out = new LinkedHashMap<>();
        out.put(STEP, Nd4j.scalar(DataType.INT64, step));
        forEachCompressedSlot(out, (key, e, s) -> {
            float[] values = new float[e.length];
            quantizer.dequantize(e.codes[s], 0, e.length, 0, e.max[s], e.min[s], values, 0);
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

    @Override
    public long bytes() {
        long total = 0;
        for (Entry e : byParam.values()) {
            for (int s = 0; s < slotNames.size(); s++) {
                total += perRow[s] ? e.dense[s].length() * Float.BYTES
                        : e.codes[s].length + (long) (e.max[s].length + e.min[s].length) * Float.BYTES;
            }
        }
        return total;
    }

    @Override
    public void load(Map<String, INDArray> tensors) {
        if (tensors == null) throw new IllegalArgumentException("optimizer state is null");
        long loadedStep = StateTensors.readStep(tensors);
        INDArray g = tensors.get(GROUP_SIZE);
        if (g == null || g.length() != 1 || g.getLong(0) != quantizer.groupSize()) {
            throw new IllegalArgumentException("optimizer state was not written by COAT with group size "
                    + quantizer.groupSize() + " (" + GROUP_SIZE + " = " + (g == null ? "missing" : g.getLong(0))
                    + "); resume with the optim.state and optim.coatGroupSize the run was started with");
        }
        Map<String, Entry> loaded = new LinkedHashMap<>();
        Map<String, Map<String, INDArray>> byName = new LinkedHashMap<>();
        for (Map.Entry<String, INDArray> t : tensors.entrySet()) {
            String name = t.getKey();
            if (name.equals(STEP) || name.equals(GROUP_SIZE)) continue;
            int cut = name.lastIndexOf('/');
            if (cut < 0) {
                throw new IllegalArgumentException("unexpected optimizer state tensor " + name + "; expected " + STEP
                        + ", " + GROUP_SIZE + " and <param>/<slot>[.fp8|.max|.min] with slot in " + slotNames);
            }
            byName.computeIfAbsent(name.substring(0, cut), k -> new LinkedHashMap<>()).put(name.substring(cut + 1),
                    t.getValue());
        }
        for (Map.Entry<String, Map<String, INDArray>> pe : byName.entrySet()) {
            loaded.put(pe.getKey(), entryOf(pe.getKey(), pe.getValue()));
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

    /** One parameter's entry from its tensors {@code <slot>.fp8/.max/.min} (or {@code <slot>} per row). */
    private Entry entryOf(String param, Map<String, INDArray> parts) {
        Set<String> expected = new HashSet<>();
        long[] shape = null;
        for (int s = 0; s < slotNames.size(); s++) {
            if (!perRow[s]) {
                INDArray codes = require(parts, param, slotNames.get(s) + CODES, DataType.BYTE);
                shape = codes.shape();
                break;
            }
        }
        if (shape == null) throw new IllegalArgumentException("COAT state of " + param + " holds no compressed slot");
        Entry e = new Entry(shape, slotNames.size());
        int groups = quantizer.groups(e.length);
        for (int s = 0; s < slotNames.size(); s++) {
            String slot = slotNames.get(s);
            if (perRow[s]) {
                INDArray dense = require(parts, param, slot, DataType.FLOAT);
                StateTensors.requireShape(StateTensors.key(param, slot), dense.shape(),
                        StateTensors.perRowShape(slot, shape), "the per-row shape of " + param);
                e.dense[s] = dense.dup('c');
                expected.add(slot);
                continue;
            }
            INDArray codes = require(parts, param, slot + CODES, DataType.BYTE);
            StateTensors.requireShape(StateTensors.key(param, slot + CODES), codes.shape(), shape, param + "'s first slot");
            e.codes[s] = bytesOf(codes.dup('c'));
            e.max[s] = floatsOf(require(parts, param, slot + MAX, DataType.FLOAT), groups, param, slot + MAX);
            e.min[s] = floatsOf(require(parts, param, slot + MIN, DataType.FLOAT), groups, param, slot + MIN);
            expected.addAll(List.of(slot + CODES, slot + MAX, slot + MIN));
        }
        Set<String> extra = new HashSet<>(parts.keySet());
        extra.removeAll(expected);
        if (!extra.isEmpty()) {
            throw new IllegalArgumentException("unexpected optimizer state tensors " + extra + " of " + param
                    + "; COAT slots are " + slotNames);
        }
        return e;
    }

    private static INDArray require(Map<String, INDArray> parts, String param, String part, DataType type) {
        INDArray t = parts.get(part);
        String name = StateTensors.key(param, part);
        if (t == null) throw new IllegalArgumentException("optimizer state is missing tensor " + name);
        if (t.dataType() != type) {
            throw new IllegalArgumentException("optimizer state tensor " + name + " must be " + type + ", got "
                    + t.dataType());
        }
        return t;
    }

    private static byte[] bytesOf(INDArray codes) {
        byte[] out = new byte[Math.toIntExact(codes.length())];
        ByteBuffer buffer = codes.data().asNio();
        int offset = Math.toIntExact(codes.offset());
        for (int i = 0; i < out.length; i++) out[i] = buffer.get(offset + i);
        return out;
    }

    private static float[] floatsOf(INDArray t, int groups, String param, String part) {
        if (t.length() != groups) {
            throw new IllegalArgumentException("optimizer state tensor " + StateTensors.key(param, part) + " has "
                    + t.length() + " values but the parameter has " + groups + " groups");
        }
        return t.dup('c').data().asFloat();
    }
}
