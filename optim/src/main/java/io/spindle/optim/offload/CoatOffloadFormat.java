package io.spindle.optim.offload;

import io.spindle.optim.coat.CoatQuantizer;
import io.spindle.optim.coat.CoatStateStore;
import io.spindle.optim.state.StateStore;
import io.spindle.optim.state.StateTensors;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * COAT-compressed slots on disk (Fuyou + COAT): each slot shaped like its parameter is a section
 * {@code [max (float32 per group) | min (float32 per group) | E4M3 codes (one byte per value, padded
 * to 4)]}, exactly what {@link CoatStateStore} keeps in memory; a per-row slot stays float32. So
 * AdamW moves 4 + 2.125 bytes per parameter each way instead of 4 + 8.
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
        final float[] min;

        ChunkBuffers(int chunk, int groups) {
            values = new float[chunk];
            codes = new byte[chunk];
            max = new float[groups];
            min = new float[groups];
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
        return 2L * quantizer.groups(n) * Float.BYTES + ((n + 3L) & ~3L);
    }

    /**
     * All-zero groups: code 0 decodes to 0 whatever max and min are, but max = min = 0 would make
     * the group's range 0/0; store what quantizing zeros stores, 1e-20 (as the in-memory store does).
     */
    @Override
    public void initialize(StateRecord r, OffloadFile file) throws IOException {
        for (int s = 0; s < slotNames.size(); s++) {
            if (perRow[s]) continue;
            int groups = quantizer.groups(r.slotElements(s));
            ByteBuffer ranges = ByteBuffer.allocateDirect(2 * groups * Float.BYTES).order(ByteOrder.nativeOrder());
            while (ranges.hasRemaining()) ranges.putFloat((float) CoatQuantizer.TINY);
            file.write(r.fileOffset() + r.section(s), ranges.flip());
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
                section.codesAndRanges(start, len, b, quantizer.groupSize());
                quantizer.dequantize(b.codes, 0, len, 0, b.max, b.min, b.values, 0);
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
                quantizer.quantize(b.values, 0, len, 0, b.codes, 0, b.max, b.min);
                section.store(start, len, b, quantizer.groupSize());
            });
            open[s] = null;
        }
    }

    /** One compressed slot's section in a frame: max and min per group (floats), then the codes (bytes). */
    private record Section(ByteBuffer bytes, FloatBuffer floats, int maxAt, int minAt, int codesAt) {
        Section(OffloadWindow.Frame frame, long at, int n, int groups) {
            this(frame.bytes, frame.floatView(), Math.toIntExact(at / Float.BYTES),
                    Math.toIntExact(at / Float.BYTES + groups), Math.toIntExact(at + 2L * groups * Float.BYTES));
        }

        void codesAndRanges(int start, int len, ChunkBuffers b, int groupSize) {
            int groups = (len + groupSize - 1) / groupSize;
            bytes.get(codesAt + start, b.codes, 0, len);
            floats.get(maxAt + start / groupSize, b.max, 0, groups);
            floats.get(minAt + start / groupSize, b.min, 0, groups);
        }

        void store(int start, int len, ChunkBuffers b, int groupSize) {
            int groups = (len + groupSize - 1) / groupSize;
            bytes.put(codesAt + start, b.codes, 0, len);
            floats.put(maxAt + start / groupSize, b.max, 0, groups);
            floats.put(minAt + start / groupSize, b.min, 0, groups);
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
    public Map<String, INDArray> snapshot(Collection<StateRecord> records, OffloadFile file, long step)
            throws IOException {
        Map<String, INDArray> out = new LinkedHashMap<>();
        out.put(StateStore.STEP, Nd4j.scalar(DataType.INT64, step));
        out.put(CoatStateStore.GROUP_SIZE, Nd4j.scalar(DataType.INT64, (long) quantizer.groupSize()));
        for (StateRecord r : records) {
            for (int s = 0; s < slotNames.size(); s++) {
                String key = StateTensors.key(r.name(), slotNames.get(s));
                long at = r.fileOffset() + r.section(s);
                if (perRow[s]) {
                    out.put(key, read(file, at, DataType.FLOAT, r.slotShapes()[s]));
                    continue;
                }
                int groups = quantizer.groups(r.slotElements(s));
                out.put(key + CoatStateStore.CODES, read(file, at + 2L * groups * Float.BYTES, DataType.BYTE,
                        r.slotShapes()[s]));
                out.put(key + CoatStateStore.MAX, read(file, at, DataType.FLOAT, new long[] {groups}));
                out.put(key + CoatStateStore.MIN, read(file, at + (long) groups * Float.BYTES, DataType.FLOAT,
                        new long[] {groups}));
            }
        }
        return out;
    }

    private static INDArray read(OffloadFile file, long at, DataType type, long[] shape) throws IOException {
        INDArray t = Nd4j.createUninitialized(type, shape);
        file.read(at, OffloadFile.bytesOf(t));
        return t;
    }

    @Override
    public Map<String, INDArray> values(Map<String, INDArray> snapshot) {
        Map<String, INDArray> out = new LinkedHashMap<>();
        out.put(StateStore.STEP, snapshot.get(StateStore.STEP));
        for (Map.Entry<String, INDArray> e : snapshot.entrySet()) {
            String name = e.getKey();
            if (name.equals(StateStore.STEP) || name.equals(CoatStateStore.GROUP_SIZE)
                    || name.endsWith(CoatStateStore.MAX) || name.endsWith(CoatStateStore.MIN)) {
                continue;
            }
            if (!name.endsWith(CoatStateStore.CODES)) {
                out.put(name, e.getValue());
                continue;
            }
            String key = name.substring(0, name.length() - CoatStateStore.CODES.length());
            INDArray codes = e.getValue();
            float[] values = new float[Math.toIntExact(codes.length())];
            quantizer.dequantize(codes.data().asBytes(), 0, values.length, 0,
                    snapshot.get(key + CoatStateStore.MAX).data().asFloat(),
                    snapshot.get(key + CoatStateStore.MIN).data().asFloat(), values, 0);
            out.put(key, Nd4j.createFromArray(values).reshape('c', codes.shape()));
        }
        return out;
    }

    /** Validated by the in-memory store's own loader, so both accept exactly the same checkpoints. */
    @Override
    public LinkedHashMap<String, long[]> parse(Map<String, INDArray> tensors) {
        new CoatStateStore(quantizer.groupSize(), slotNames.toArray(new String[0]), perRow).load(tensors);
        LinkedHashMap<String, long[]> shapes = new LinkedHashMap<>();
        String firstCodes = "/" + slotNames.get(0) + CoatStateStore.CODES;
        for (Map.Entry<String, INDArray> e : tensors.entrySet()) {
            String name = e.getKey();
            if (name.endsWith(firstCodes)) {
                shapes.put(name.substring(0, name.length() - firstCodes.length()), e.getValue().shape());
            }
        }
        return shapes;
    }

    @Override
    public void write(StateRecord r, Map<String, INDArray> tensors, OffloadFile file) throws IOException {
        for (int s = 0; s < slotNames.size(); s++) {
            String key = StateTensors.key(r.name(), slotNames.get(s));
            long at = r.fileOffset() + r.section(s);
            if (perRow[s]) {
                file.write(at, OffloadFile.bytesOf(tensors.get(key).dup('c')));
                continue;
            }
            int groups = quantizer.groups(r.slotElements(s));
            file.write(at, OffloadFile.bytesOf(tensors.get(key + CoatStateStore.MAX).dup('c')));
            file.write(at + (long) groups * Float.BYTES, OffloadFile.bytesOf(tensors.get(key + CoatStateStore.MIN).dup('c')));
            file.write(at + 2L * groups * Float.BYTES, OffloadFile.bytesOf(tensors.get(key + CoatStateStore.CODES).dup('c')));
        }
    }

    @Override
    public long scratchBytes() {
        long total = 0;
        for (INDArray s : scratch) total += s == null ? 0 : s.length() * Float.BYTES;
        return total;
    }
}
