package io.spindle.optim.offload;

import io.spindle.optim.state.StateStore;
import io.spindle.optim.state.StateTensors;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.io.IOException;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
    public Map<String, INDArray> snapshot(Collection<StateRecord> records, OffloadFile file, long step)
            throws IOException {
        Map<String, INDArray> out = new LinkedHashMap<>();
        out.put(StateStore.STEP, Nd4j.scalar(DataType.INT64, step));
        for (StateRecord r : records) {
            for (int s = 0; s < slotNames.size(); s++) {
                INDArray t = Nd4j.createUninitialized(DataType.FLOAT, r.slotShapes()[s]);
                file.read(r.fileOffset() + r.section(s), OffloadFile.bytesOf(t));
                out.put(StateTensors.key(r.name(), slotNames.get(s)), t);
            }
        }
        return out;
    }

    @Override
    public Map<String, INDArray> values(Map<String, INDArray> snapshot) {
        return snapshot;
    }

    @Override
    public Parsed parse(Map<String, INDArray> tensors) {
        LinkedHashMap<String, long[]> shapes = new LinkedHashMap<>();
        StateTensors.groupByParam(tensors, slotNames, perRow).forEach((name, slots) -> shapes.put(name, slots[0].shape()));
        return new Parsed(shapes, tensors);
    }

    @Override
    public void write(StateRecord r, Map<String, INDArray> tensors, OffloadFile file) throws IOException {
        for (int s = 0; s < slotNames.size(); s++) {
            INDArray t = tensors.get(StateTensors.key(r.name(), slotNames.get(s)));
            file.write(r.fileOffset() + r.section(s), OffloadFile.bytesOf(t));
        }
    }

    @Override
    public long scratchBytes() {
        return 0;
    }
}
