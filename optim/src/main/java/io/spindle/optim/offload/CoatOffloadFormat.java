package io.spindle.optim.offload;

import io.spindle.optim.coat.CoatQuantizer;
import io.spindle.optim.coat.CoatStateStore;
import io.spindle.optim.state.StateStore;
import io.spindle.optim.state.StateTensors;
import io.spindle.optim.state.TensorSource;
import io.spindle.optim.state.TensorSpec;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.IntStream;

/**
 * COAT-compressed slots on disk (Fuyou + COAT): each slot shaped like its parameter is a section
 * {@code [max (float32 per group) | k·16 (16 bits per group, padded to 4) | E4M3 codes (one byte per
 * value, padded to 4)]}, exactly what {@link CoatStateStore} keeps in memory; a per-row slot stays
 * float32. So AdamW moves 4 + 2.094 bytes per parameter each way instead of 4 + 8.
 *
 * <p>{@link #expand} dequantizes a record's slots into float32 scratch sized to the largest
 * parameter (the only full-precision state that exists), {@link #compress} quantizes them back into
 * the frame: the same codec, group by group, as the in-memory store, so the two give the same bits.
 * Both run over whole-group chunks on the common pool, as the in-memory store does: the codec is
 * compute-bound.
 */
final class CoatOffloadFormat implements OffloadFormat {
    /** Elements per codec chunk: a whole number of groups, small enough to stay in cache. */
    private static final int CHUNK_TARGET = 16_384;

    private final CoatQuantizer quantizer;
    private final List<String> slotNames;
    private final boolean[] perRow;
    private final int chunk;
    private final ThreadLocal<ChunkBuffers> buffers;
    private final INDArray[] scratch;
    private final INDArray[] open;

    /** Per-thread heap copies of one chunk: direct-buffer element access would not vectorize. */
    private static final class ChunkBuffers {
        final float[] values;
        final byte[] codes;
        final float[] max;
        final short[] k16;

        ChunkBuffers(int chunk, int groups) {
            values = new float[chunk];
            codes = new byte[chunk];
            max = new float[groups];
            k16 = new short[groups];
        }
    }

    CoatOffloadFormat(int groupSize, List<String> slotNames, boolean[] perRow) {
        this.quantizer = new CoatQuantizer(groupSize);
        this.slotNames = slotNames;
        this.perRow = perRow.clone();
        this.chunk = Math.max(1, CHUNK_TARGET / groupSize) * groupSize;
        int groups = chunk / groupSize;
        this.buffers = ThreadLocal.withInitial(() -> new ChunkBuffers(chunk, groups));
        this.scratch = new INDArray[slotNames.size()];
        this.open = new INDArray[slotNames.size()];
    }

    int groupSize() {
        return quantizer.groupSize();
    }

    @Override
    public long sectionBytes(int s, long[] slotShape) {
        int n = StateRecord.elements(slotShape);
        if (perRow[s]) return (long) n * Float.BYTES;
        return Layout.codesAt(quantizer.groups(n)) + ((n + 3L) & ~3L);
    }

    /** Byte offsets inside a compressed slot's section of {@code groups} groups. */
    private static final class Layout {
        static long kAt(int groups) {
            return (long) groups * Float.BYTES;
        }

        static long codesAt(int groups) {
            return kAt(groups) + (((long) groups * Short.BYTES + 3) & ~3L);
        }
    }

    /**
     * All-zero groups: code 0 decodes to 0 whatever max and k are, but k·16 = 0 is no k; store what
     * quantizing zeros stores, max 1e-20 and k 1 (as the in-memory store does).
     */
    @Override
    public void initialize(StateRecord r, OffloadFile file) throws IOException {
        float tiny = (float) CoatQuantizer.TINY;
        short zeroK = (short) CoatQuantizer.k16(tiny, tiny);
        for (int s = 0; s < slotNames.size(); s++) {
            if (perRow[s]) continue;
            int groups = quantizer.groups(r.slotElements(s));
            ByteBuffer scales = ByteBuffer.allocateDirect((int) Layout.codesAt(groups)).order(ByteOrder.nativeOrder());
            for (int g = 0; g < groups; g++) scales.putFloat(tiny);
            for (int g = 0; g < groups; g++) scales.putShort(zeroK);
            file.write(r.fileOffset() + r.section(s), scales.clear());
        }
    }

    @Override
    public void prepare(List<StateRecord> records) {
        int largest = 1;
        for (StateRecord r : records) largest = Math.max(largest, r.masterFloats());
        for (int s = 0; s < scratch.length; s++) {
            if (!perRow[s] && (scratch[s] == null || scratch[s].length() < largest)) {
                scratch[s] = Nd4j.createUninitialized(DataType.FLOAT, largest);
            }
        }
    }

    @Override
    public INDArray[] expand(OffloadWindow.Frame frame, long at, StateRecord r) {
        INDArray[] out = new INDArray[slotNames.size()];
        for (int s = 0; s < out.length; s++) {
            if (perRow[s]) {
                out[s] = DenseOffloadFormat.floatView(frame, at + r.section(s), r.slotElements(s), r.slotShapes()[s]);
                continue;
            }
            int n = r.slotElements(s);
            INDArray view = scratch[s].get(NDArrayIndex.interval(0, n)).reshape('c', r.slotShapes()[s]);
            Section section = new Section(frame, at + r.section(s), n, quantizer.groups(n));
            FloatBuffer values = scratch[s].data().asNioFloat();
            forEachChunk(n, (start, len, b) -> {
                section.load(start, len, b, quantizer.groupSize());
                quantizer.dequantize(b.codes, 0, len, 0, b.max, b.k16, b.values, 0);
                values.put(start, b.values, 0, len);
            });
            out[s] = view;
            open[s] = view;
        }
        return out;
    }

    @Override
    public void compress(OffloadWindow.Frame frame, long at, StateRecord r) {
        for (int s = 0; s < slotNames.size(); s++) {
            if (perRow[s]) continue;
            int n = r.slotElements(s);
            if (open[s] == null || open[s].length() != n) {
                throw new IllegalStateException("commit of " + r.name() + " whose slots were not opened");
            }
            Section section = new Section(frame, at + r.section(s), n, quantizer.groups(n));
            FloatBuffer values = scratch[s].data().asNioFloat();
            forEachChunk(n, (start, len, b) -> {
                values.get(start, b.values, 0, len);
                quantizer.quantize(b.values, 0, len, 0, b.codes, 0, b.max, b.k16);
                section.store(start, len, b, quantizer.groupSize());
            });
            open[s] = null;
        }
    }

    /** One compressed slot's section in a frame: max per group (floats), k·16 per group (shorts), then the codes (bytes). */
    private record Section(ByteBuffer bytes, FloatBuffer floats, ShortBuffer shorts, int maxAt, int kAt, int codesAt) {
        Section(OffloadWindow.Frame frame, long at, int n, int groups) {
            this(frame.bytes, frame.floatView(), frame.bytes.duplicate().order(ByteOrder.nativeOrder()).asShortBuffer(),
                    Math.toIntExact(at / Float.BYTES), Math.toIntExact((at + Layout.kAt(groups)) / Short.BYTES),
                    Math.toIntExact(at + Layout.codesAt(groups)));
        }

        void load(int start, int len, ChunkBuffers b, int groupSize) {
            int groups = (len + groupSize - 1) / groupSize;
            bytes.get(codesAt + start, b.codes, 0, len);
            floats.get(maxAt + start / groupSize, b.max, 0, groups);
            shorts.get(kAt + start / groupSize, b.k16, 0, groups);
        }

        void store(int start, int len, ChunkBuffers b, int groupSize) {
            int groups = (len + groupSize - 1) / groupSize;
            bytes.put(codesAt + start, b.codes, 0, len);
            floats.put(maxAt + start / groupSize, b.max, 0, groups);
            shorts.put(kAt + start / groupSize, b.k16, 0, groups);
        }
    }

    private interface ChunkTask {
        void run(int start, int length, ChunkBuffers buffers);
    }

    /** Whole-group chunks of [0, n); on the common pool when there is more than one (disjoint ranges). */
    private void forEachChunk(int n, ChunkTask task) {
        int chunks = (n + chunk - 1) / chunk;
        IntStream range = IntStream.range(0, chunks);
        (chunks > 1 ? range.parallel() : range).forEach(c -> {
            int start = c * chunk;
            task.run(start, Math.min(chunk, n - start), buffers.get());
        });
    }

    @Override
    public Map<String, INDArray> header() {
        return Map.of(CoatStateStore.GROUP_SIZE, Nd4j.scalar(DataType.INT64, (long) quantizer.groupSize()));
    }

    /** Per slot as {@link CoatStateStore#snapshot} names it: codes, max and k, or the float32 per-row slot. */
    @Override
    public List<TensorSpec> specs(StateRecord r) {
        List<TensorSpec> out = new ArrayList<>();
        for (int s = 0; s < slotNames.size(); s++) {
            String key = StateTensors.key(r.name(), slotNames.get(s));
            if (perRow[s]) {
                out.add(new TensorSpec(key, DataType.FLOAT, r.slotShapes()[s]));
                continue;
            }
            long[] groups = {quantizer.groups(r.slotElements(s))};
            out.add(new TensorSpec(key + CoatStateStore.CODES, DataType.BYTE, r.slotShapes()[s]));
            out.add(new TensorSpec(key + CoatStateStore.MAX, DataType.FLOAT, groups));
            out.add(new TensorSpec(key + CoatStateStore.K, DataType.FLOAT, groups));
        }
        return out;
    }

    /** Max and per-row slots are views of the frame; codes and k are copied out (int8, and k from its 16-bit code). */
    @Override
    public void produce(StateRecord r, OffloadWindow.Frame frame, Predicate<String> wanted, TensorSource.Sink sink)
            throws IOException {
        Iterator<TensorSpec> specs = specs(r).iterator();
        for (int s = 0; s < slotNames.size(); s++) {
            int n = r.slotElements(s);
            long at = r.section(s);
            if (perRow[s]) {
                TensorSpec spec = specs.next();
                if (wanted.test(spec.name())) sink.accept(spec, DenseOffloadFormat.floatView(frame, at, n, r.slotShapes()[s]));
                continue;
            }
            int groups = quantizer.groups(n);
            Section section = new Section(frame, at, n, groups);
            TensorSpec codes = specs.next();
            if (wanted.test(codes.name())) {
                INDArray copy = Nd4j.createUninitialized(DataType.BYTE, r.slotShapes()[s]);
                copy.data().asNio().put(0, section.bytes(), section.codesAt(), n);
                handOver(codes, copy, sink);
            }
            TensorSpec max = specs.next();
            if (wanted.test(max.name())) sink.accept(max, DenseOffloadFormat.floatView(frame, at, groups, new long[] {groups}));
            TensorSpec k = specs.next();
            if (wanted.test(k.name())) {
                short[] k16 = new short[groups];
                section.shorts().get(section.kAt(), k16);
                handOver(k, CoatStateStore.kTensor(k16), sink);
            }
        }
    }

    /** Hands a tensor made for the sink over and frees it: off-heap memory is otherwise freed only when the GC gets round to it. */
    private static void handOver(TensorSpec spec, INDArray t, TensorSource.Sink sink) throws IOException {
        try {
            sink.accept(spec, t);
        } finally {
            if (t.closeable()) t.close();
        }
    }

    @Override
    public Map<String, INDArray> values(Map<String, INDArray> snapshot) {
        Map<String, INDArray> out = new LinkedHashMap<>();
        out.put(StateStore.STEP, snapshot.get(StateStore.STEP));
        for (Map.Entry<String, INDArray> e : snapshot.entrySet()) {
            String name = e.getKey();
            if (name.equals(StateStore.STEP) || name.equals(CoatStateStore.GROUP_SIZE)
                    || name.endsWith(CoatStateStore.MAX) || name.endsWith(CoatStateStore.K)) {
                continue;
            }
            if (!name.endsWith(CoatStateStore.CODES)) {
                out.put(name, e.getValue());
                continue;
            }
            String key = name.substring(0, name.length() - CoatStateStore.CODES.length());
            INDArray codes = e.getValue();
            float[] values = new float[Math.toIntExact(codes.length())];
            INDArray k = snapshot.get(key + CoatStateStore.K);
            quantizer.dequantize(codes.data().asBytes(), 0, values.length, 0,
                    snapshot.get(key + CoatStateStore.MAX).data().asFloat(),
                    CoatStateStore.k16Of(k, Math.toIntExact(k.length()), key + CoatStateStore.K), values, 0);
            out.put(key, Nd4j.createFromArray(values).reshape('c', codes.shape()));
        }
        return out;
    }

    /** Parameters in the order they come; each one's shape from its first slot's codes. */
    @Override
    public LinkedHashMap<String, long[]> shapes(List<TensorSpec> specs) {
        if (specs.stream().noneMatch(t -> t.name().equals(CoatStateStore.GROUP_SIZE))) {
            CoatStateStore.requireGroupSize(null, quantizer.groupSize());
        }
        String firstCodes = "/" + slotNames.get(0) + CoatStateStore.CODES;
        LinkedHashMap<String, long[]> shapes = new LinkedHashMap<>();
        for (String param : partsByParam(specs).keySet()) shapes.put(param, null);
        for (TensorSpec t : specs) {
            if (t.name().endsWith(firstCodes)) {
                shapes.put(t.name().substring(0, t.name().length() - firstCodes.length()), t.shape());
            }
        }
        shapes.forEach((param, shape) -> {
            if (shape == null) {
                throw new IllegalArgumentException("optimizer state is missing tensor " + param + firstCodes);
            }
        });
        return shapes;
    }

    /** The names of each parameter's tensors, from the specs (step and group size left out). */
    private Map<String, Set<String>> partsByParam(List<TensorSpec> specs) {
        Map<String, Set<String>> parts = new LinkedHashMap<>();
        for (TensorSpec t : specs) {
            String name = t.name();
            if (name.equals(StateStore.STEP) || name.equals(CoatStateStore.GROUP_SIZE)) continue;
            int cut = name.lastIndexOf('/');
            if (cut < 0) {
                throw new IllegalArgumentException("unexpected optimizer state tensor " + name + "; expected "
                        + StateStore.STEP + ", " + CoatStateStore.GROUP_SIZE + " and <param>/<slot>[" + CoatStateStore.CODES
                        + "|" + CoatStateStore.MAX + "|" + CoatStateStore.K + "] with slot in " + slotNames);
            }
            parts.computeIfAbsent(name.substring(0, cut), k -> new HashSet<>()).add(name);
        }
        return parts;
    }

    /**
     * A parameter's tensors are gathered until all have come, then validated, and an earlier layout
     * converted, by the in-memory store's own loader, so both accept exactly the same checkpoints;
     * its snapshot of that one parameter is the current layout, which goes to the record.
     */
    @Override
    public void load(TensorSource tensors, Map<String, StateRecord> records, OffloadFile file) throws IOException {
        INDArray groupSize = tensors.read(CoatStateStore.GROUP_SIZE);
        CoatStateStore.requireGroupSize(groupSize, quantizer.groupSize());
        Map<String, Set<String>> expected = partsByParam(tensors.specs());
        Map<String, Map<String, INDArray>> pending = new HashMap<>();
        tensors.produce(name -> !name.equals(StateStore.STEP) && !name.equals(CoatStateStore.GROUP_SIZE), (spec, t) -> {
            spec.requireMatches(t);
            String param = spec.name().substring(0, spec.name().lastIndexOf('/'));
            Map<String, INDArray> parts = pending.computeIfAbsent(param, p -> new HashMap<>());
            parts.put(spec.name(), t.dup('c'));
            if (parts.size() < expected.get(param).size()) return;
            pending.remove(param);
            CoatStateStore one = new CoatStateStore(quantizer.groupSize(), slotNames.toArray(new String[0]), perRow);
            parts.put(StateStore.STEP, Nd4j.scalar(DataType.INT64, 0L));
            parts.put(CoatStateStore.GROUP_SIZE, groupSize);
            one.load(parts);
            writeRecord(records.get(param), one.snapshot(), file);
        });
        if (!pending.isEmpty()) {
            throw new IllegalStateException("the checkpoint source did not produce every tensor of " + pending.keySet());
        }
    }

    private void writeRecord(StateRecord r, Map<String, INDArray> tensors, OffloadFile file) throws IOException {
        for (int s = 0; s < slotNames.size(); s++) {
            String key = StateTensors.key(r.name(), slotNames.get(s));
            long at = r.fileOffset() + r.section(s);
            if (perRow[s]) {
                file.write(at, OffloadFile.bytesOf(tensors.get(key).dup('c')));
                continue;
            }
            int groups = quantizer.groups(r.slotElements(s));
            INDArray k = tensors.get(key + CoatStateStore.K);
            short[] k16 = CoatStateStore.k16Of(k, groups, key + CoatStateStore.K);
            ByteBuffer kBytes = ByteBuffer.allocate(groups * Short.BYTES).order(ByteOrder.nativeOrder());
            kBytes.asShortBuffer().put(k16);
            file.write(at, OffloadFile.bytesOf(tensors.get(key + CoatStateStore.MAX).dup('c')));
            file.write(at + Layout.kAt(groups), kBytes);
            file.write(at + Layout.codesAt(groups), OffloadFile.bytesOf(tensors.get(key + CoatStateStore.CODES).dup('c')));
        }
    }

    @Override
    public long scratchBytes() {
        long total = 0;
        for (INDArray s : scratch) total += s == null ? 0 : s.length() * Float.BYTES;
        return total;
    }
}
