package io.spindle.optim.offload;

import io.spindle.optim.ContiguousFloats;
import io.spindle.optim.state.StateStore;
import io.spindle.optim.state.StateTensors;
import io.spindle.optim.state.TensorSource;
import io.spindle.optim.state.TensorSpec;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Float32 slots, stored as they are: the optimizer updates views straight into the window frame,
 * so nothing is copied and nothing needs compressing back. Checkpoint form: {@code step} and
 * {@code <param>/<slot>} float32, as {@link io.spindle.optim.state.DenseStateStore} writes it.
 */
final class DenseOffloadFormat implements OffloadFormat {
    private final List<String> slotNames;
    private final boolean[] perRow;

    DenseOffloadFormat(List<String> slotNames, boolean[] perRow) {
        this.slotNames = slotNames;
        this.perRow = perRow.clone();
    }

    @Override
    public long sectionBytes(int s, long[] slotShape) {
        return (long) StateRecord.elements(slotShape) * Float.BYTES;
    }

    /** Zero bytes are float32 zeros. */
    @Override
    public void initialize(StateRecord r, OffloadFile file) {
    }

    @Override
    public void prepare(List<StateRecord> records) {
    }

    @Override
    public INDArray[] expand(OffloadWindow.Frame frame, long at, StateRecord r) {
        INDArray[] out = new INDArray[slotNames.size()];
        for (int s = 0; s < out.length; s++) {
            out[s] = floatView(frame, at + r.section(s), r.slotElements(s), r.slotShapes()[s]);
        }
        return out;
    }

    /** A float32 view of {@code length} values at byte {@code at} of the frame, shaped {@code shape}. */
    static INDArray floatView(OffloadWindow.Frame frame, long at, int length, long[] shape) {
        long first = at / Float.BYTES;
        return frame.floats.get(NDArrayIndex.interval(first, first + length)).reshape('c', shape);
    }

    @Override
    public void compress(OffloadWindow.Frame frame, long at, StateRecord r) {
    }

    @Override
    public Map<String, INDArray> header() {
        return Map.of();
    }

    @Override
    public List<TensorSpec> specs(StateRecord r) {
        List<TensorSpec> out = new ArrayList<>(slotNames.size());
        for (int s = 0; s < slotNames.size(); s++) {
            out.add(new TensorSpec(StateTensors.key(r.name(), slotNames.get(s)), DataType.FLOAT, r.slotShapes()[s]));
        }
        return out;
    }

    @Override
    public void produce(StateRecord r, OffloadWindow.Frame frame, Predicate<String> wanted, TensorSource.Sink sink)
            throws IOException {
        List<TensorSpec> specs = specs(r);
        for (int s = 0; s < specs.size(); s++) {
            if (wanted.test(specs.get(s).name())) {
                sink.accept(specs.get(s), floatView(frame, r.section(s), r.slotElements(s), r.slotShapes()[s]));
            }
        }
    }

    @Override
    public Map<String, INDArray> values(Map<String, INDArray> snapshot) {
        return snapshot;
    }

    @Override
    public LinkedHashMap<String, long[]> shapes(List<TensorSpec> specs) {
        return StateTensors.paramShapes(specs, slotNames, perRow);
    }

    /** Each tensor goes to its section as it arrives: nothing is held beyond the one tensor. */
    @Override
    public void load(TensorSource tensors, Map<String, StateRecord> records, OffloadFile file) throws IOException {
        tensors.produce(name -> !name.equals(StateStore.STEP), (spec, t) -> {
            spec.requireMatches(t);
            int cut = spec.name().lastIndexOf('/');
            StateRecord r = records.get(spec.name().substring(0, cut));
            int s = slotNames.indexOf(spec.name().substring(cut + 1));
            file.write(r.fileOffset() + r.section(s), OffloadFile.bytesOf(rowMajor(t)));
        });
    }

    /** {@code t} itself when its elements are one row-major run (as a view into a flat buffer is), else a copy. */
    static INDArray rowMajor(INDArray t) {
        return ContiguousFloats.isRowMajorWithoutGaps(t) ? t : t.dup('c');
    }

    @Override
    public long scratchBytes() {
        return 0;
    }
}
