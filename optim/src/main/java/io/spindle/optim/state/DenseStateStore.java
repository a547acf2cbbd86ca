package io.spindle.optim.state;

import io.spindle.optim.ParamSlot;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * An optimizer's per-parameter state held as full-precision float32 tensors (one per slot, e.g.
 * AdamW's {@code m} and {@code v}), plus the step count. It names the tensors for checkpoints
 * ({@code step}, {@code <param>/<slot>}) and checks every name and shape on the way back in, so
 * a resumed run cannot silently pair a parameter with another parameter's moments.
 */
public final class DenseStateStore implements StateStore {
    private static final Logger log = LoggerFactory.getLogger(DenseStateStore.class);


    private final List<String> slotNames;
    /** Per slot: true when it holds one value per row ({@code [rows, 1]}) instead of one per element. */
    private final boolean[] perRow;
    private final Map<String, INDArray[]> byParam = new LinkedHashMap<>();
    private long step;

    /** A store with the given slots per parameter, e.g. {@code "m", "v"}, each shaped like the parameter. */
    public DenseStateStore(String... slotNames) {
        this(slotNames, new boolean[slotNames.length]);
    }

    /**
     * A store whose slot {@code s} is shaped like the parameter, or {@code [rows, 1]} when
     * {@code perRow[s]} (a statistic per output neuron, as NorMuon keeps). The first slot must be
     * shaped like the parameter: the shape checks read the parameter's shape from it.
     */
    public DenseStateStore(String[] slotNames, boolean[] perRow) {
        StateTensors.requireSlotNames(slotNames, perRow);
        this.perRow = perRow.clone();
        this.slotNames = List.of(slotNames);
    }

    /** The checkpoint name of one slot of one parameter. */
    public static String key(String param, String slot) {
        return StateTensors.key(param, slot);
    }

    @Override
    public long step() {
        return step;
    }

    @Override
    public void advance() {
        step++;
    }

    /**
     * The slot tensors of each of {@code params}, in the same order, each array indexed like the
     * slot names. Zero state is allocated only before the first step; afterwards the parameters
     * must be exactly those the state was made for. Nothing changes when this throws.
     */
    public List<INDArray[]> slotsFor(List<ParamSlot> params) {
        boolean fresh = byParam.isEmpty() && step == 0;
        Map<String, INDArray[]> created = new LinkedHashMap<>();
        List<INDArray[]> result = new ArrayList<>(params.size());
        Set<String> seen = new HashSet<>();
        for (ParamSlot p : params) {
            if (!seen.add(p.name())) {
                throw new IllegalArgumentException("parameter " + p.name() + " is passed twice");
            }
            INDArray[] slots = byParam.get(p.name());
            if (slots == null && fresh) {
                slots = zeros(p.shape());
                created.put(p.name(), slots);
            } else if (slots == null) {
                throw new IllegalArgumentException("no optimizer state for parameter " + p.name() + " at step "
                        + step + "; the state holds " + byParam.keySet());
            } else {
                StateTensors.requireShape(key(p.name(), slotNames.get(0)), slots[0].shape(), p.shape(), "parameter " + p.name());
            }
            result.add(slots);
        }
        if (!fresh && seen.size() != byParam.size()) {
            Set<String> unused = new TreeSet<>(byParam.keySet());
            unused.removeAll(seen);
            throw new IllegalArgumentException("optimizer state holds parameters that were not passed to step: " + unused);
        }
        byParam.putAll(created);
        return result;
    }

    /** The live slots: updates made through them are the state; commit has nothing to do. */
    @Override
    public Step open(List<ParamSlot> params) {
        List<INDArray[]> slots = slotsFor(params);
        return new Step() {
            @Override
            public INDArray[] slots(int i) {
                return slots.get(i);
            }

            @Override
            public void commit(int i) {
            }
        };
    }

    @Override
    public Map<String, INDArray> values() {
        return snapshot();
    }

    @Override
    public long bytes() {
        long total = 0;
        for (INDArray[] slots : byParam.values()) {
            for (INDArray s : slots) total += s.length() * Float.BYTES;
        }
        return total;
    }

    /** A detached copy of the state, named for a checkpoint. */
    @Override
    public Map<String, INDArray> snapshot() {
        Map<String, INDArray> out = new LinkedHashMap<>();
        out.put(STEP, Nd4j.scalar(DataType.INT64, step));
        for (Map.Entry<String, INDArray[]> e : byParam.entrySet()) {
            for (int s = 0; s < slotNames.size(); s++) {
                out.put(key(e.getKey(), slotNames.get(s)), e.getValue()[s].dup('c'));
            }
        }
        return out;
    }

    /**
     * Replaces the state with copies of {@code tensors}. When this store already holds state, the
     * loaded names and shapes must equal it; a fresh store accepts any complete, consistent set and
     * the first {@link #slotsFor} checks it against the parameters.
     */
    @Override
    public void load(Map<String, INDArray> tensors) {
        if (tensors == null) {
            throw new IllegalArgumentException("optimizer state is null");
        }
        long loadedStep = StateTensors.readStep(tensors);
        Map<String, INDArray[]> loaded = groupByParam(tensors);
        if (!byParam.isEmpty()) {
            requireSameParams(loaded);
        }
        byParam.clear();
        byParam.putAll(loaded);
        step = loadedStep;
        log.info("loaded optimizer state for {} parameters at step {}", loaded.size(), loadedStep);
    }


    /** The tensors grouped by parameter and checked ({@link StateTensors#groupByParam}), copied. */
    private Map<String, INDArray[]> groupByParam(Map<String, INDArray> tensors) {
        Map<String, INDArray[]> grouped = StateTensors.groupByParam(tensors, slotNames, perRow);
        for (INDArray[] slots : grouped.values()) {
            for (int s = 0; s < slots.length; s++) slots[s] = slots[s].dup('c');
        }
        return grouped;
    }

    private void requireSameParams(Map<String, INDArray[]> loaded) {
        for (Map.Entry<String, INDArray[]> e : byParam.entrySet()) {
            INDArray[] in = loaded.get(e.getKey());
            if (in == null) {
                throw new IllegalArgumentException("optimizer state is missing tensor "
                        + key(e.getKey(), slotNames.get(0)));
            }
            StateTensors.requireShape(key(e.getKey(), slotNames.get(0)), in[0].shape(), e.getValue()[0].shape(),
                    "the optimizer's current state");
        }
        for (String name : loaded.keySet()) {
            if (!byParam.containsKey(name)) {
                throw new IllegalArgumentException("unexpected optimizer state tensor "
                        + key(name, slotNames.get(0)) + ": this optimizer has no parameter " + name);
            }
        }
    }


    private INDArray[] zeros(long[] shape) {
        INDArray[] slots = new INDArray[slotNames.size()];
        for (int s = 0; s < slots.length; s++) {
            slots[s] = Nd4j.zeros(DataType.FLOAT, slotShape(s, shape));
        }
        return slots;
    }

    private long[] slotShape(int s, long[] param) {
        return StateTensors.slotShape(slotNames, perRow, s, param);
    }
}
