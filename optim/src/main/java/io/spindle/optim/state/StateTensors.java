package io.spindle.optim.state;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import io.spindle.optim.ContiguousFloats;

import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Names, shapes and checks shared by the {@link StateStore} implementations. */
public final class StateTensors {
    private StateTensors() {}

    /** The checkpoint name of one slot of one parameter. */
    public static String key(String param, String slot) {
        return param + "/" + slot;
    }

    /**
     * Checks slot names (non-empty, no '/', distinct) and their per-row flags (one per slot; the
     * first slot must be shaped like the parameter, since shape checks read the parameter's shape from it).
     */
    public static void requireSlotNames(String[] slotNames, boolean[] perRow) {
        if (slotNames.length == 0) {
            throw new IllegalArgumentException("a state store needs at least one slot name");
        }
        if (perRow.length != slotNames.length) {
            throw new IllegalArgumentException(slotNames.length + " slot names but " + perRow.length + " per-row flags");
        }
        if (perRow[0]) {
            throw new IllegalArgumentException("the first slot " + slotNames[0] + " must be shaped like the parameter");
        }
        for (String s : slotNames) {
            if (s == null || s.isEmpty() || s.contains("/")) {
                throw new IllegalArgumentException("slot name '" + s + "' must be non-empty and contain no '/'");
            }
        }
        if (new HashSet<>(Arrays.asList(slotNames)).size() != slotNames.length) {
            throw new IllegalArgumentException("duplicate slot names " + Arrays.toString(slotNames));
        }
    }

    /** The shape [rows, 1] of a per-row slot of a 2-D parameter. */
    public static long[] perRowShape(String slot, long[] param) {
        if (param.length != 2) {
            throw new IllegalArgumentException("slot " + slot + " holds one value per row and needs a 2-D"
                    + " parameter, got shape " + Arrays.toString(param));
        }
        return new long[] {param[0], 1};
    }

    /** The step count in {@code tensors}' {@link StateStore#STEP} tensor, checked. */
    public static long readStep(Map<String, INDArray> tensors) {
        INDArray t = tensors.get(StateStore.STEP);
        if (t == null) {
            throw new IllegalArgumentException("optimizer state is missing tensor " + StateStore.STEP);
        }
        if (t.length() != 1) {
            throw new IllegalArgumentException("optimizer state tensor " + StateStore.STEP
                    + " must hold one value, got shape " + Arrays.toString(t.shape()));
        }
        double value = t.getDouble(0);
        long step = t.dataType().isIntType() ? t.getLong(0) : (long) value;
        if (step < 0 || (!t.dataType().isIntType() && step != value)) {
            throw new IllegalArgumentException("optimizer state tensor " + StateStore.STEP
                    + " must be a non-negative whole number, got " + value);
        }
        return step;
    }

    /** The step count in {@code tensors}' {@link StateStore#STEP} tensor, read on its own and checked. */
    public static long readStep(TensorSource tensors) {
        if (!tensors.contains(StateStore.STEP)) {
            throw new IllegalArgumentException("optimizer state is missing tensor " + StateStore.STEP);
        }
        return readStep(Map.of(StateStore.STEP, tensors.read(StateStore.STEP)));
    }

    public static void requireShape(String tensor, long[] actual, long[] expected, String expectedFrom) {
        if (!Arrays.equals(actual, expected)) {
            throw new IllegalArgumentException("optimizer state tensor " + tensor + " has shape "
                    + Arrays.toString(actual) + " but " + expectedFrom + " has shape " + Arrays.toString(expected));
        }
    }

    /** The shape of slot {@code s} for a parameter of shape {@code param}: the parameter's, or [rows, 1] per row. */
    public static long[] slotShape(List<String> slotNames, boolean[] perRow, int s, long[] param) {
        return perRow[s] ? perRowShape(slotNames.get(s), param) : param;
    }

    /**
     * Each parameter's shape, in the order the parameters come, from the specs of dense float32
     * state tensors named {@code <param>/<slot>} (the {@code step} tensor is skipped). Checks that
     * every tensor is a known slot, float32, present for every parameter and shaped consistently
     * with the parameter's first slot, all before any value is read.
     */
    public static LinkedHashMap<String, long[]> paramShapes(List<TensorSpec> specs, List<String> slotNames,
                                                           boolean[] perRow) {
        Map<String, TensorSpec[]> grouped = new LinkedHashMap<>();
        for (TensorSpec t : specs) {
            String name = t.name();
            if (name.equals(StateStore.STEP)) continue;
            int cut = name.lastIndexOf('/');
            int slot = cut < 0 ? -1 : slotNames.indexOf(name.substring(cut + 1));
            if (slot < 0) {
                throw new IllegalArgumentException("unexpected optimizer state tensor " + name + "; expected "
                        + StateStore.STEP + " and <param>/<slot> with slot in " + slotNames);
            }
            if (t.dtype() != DataType.FLOAT) {
                throw new IllegalArgumentException("optimizer state tensor " + name + " must be float32, got " + t.dtype());
            }
            grouped.computeIfAbsent(name.substring(0, cut), k -> new TensorSpec[slotNames.size()])[slot] = t;
        }
        LinkedHashMap<String, long[]> shapes = new LinkedHashMap<>();
        for (Map.Entry<String, TensorSpec[]> e : grouped.entrySet()) {
            TensorSpec[] slots = e.getValue();
            for (int s = 0; s < slots.length; s++) {
                String name = key(e.getKey(), slotNames.get(s));
                if (slots[s] == null) {
                    throw new IllegalArgumentException("optimizer state is missing tensor " + name);
                }
                requireShape(name, slots[s].shape(), slotShape(slotNames, perRow, s, slots[0].shape()),
                        "the slot derived from " + key(e.getKey(), slotNames.get(0)));
            }
            shapes.put(e.getKey(), slots[0].shape());
        }
        return shapes;
    }

    /**
     * Dense float32 state tensors named {@code <param>/<slot>} (the {@code step} tensor is skipped)
     * grouped by parameter, in the order they come, each array indexed like {@code slotNames},
     * checked as {@link #paramShapes} checks them and for a dense row-major layout. The tensors are not copied.
     */
    public static Map<String, INDArray[]> groupByParam(Map<String, INDArray> tensors, List<String> slotNames,
                                                       boolean[] perRow) {
        paramShapes(TensorSource.of(tensors).specs(), slotNames, perRow);
        Map<String, INDArray[]> grouped = new LinkedHashMap<>();
        for (Map.Entry<String, INDArray> e : tensors.entrySet()) {
            String name = e.getKey();
            if (name.equals(StateStore.STEP)) continue;
            int cut = name.lastIndexOf('/');
            ContiguousFloats.requireDense(e.getValue(), "optimizer state tensor " + name);
            grouped.computeIfAbsent(name.substring(0, cut), k -> new INDArray[slotNames.size()])
                    [slotNames.indexOf(name.substring(cut + 1))] = e.getValue();
        }
        return grouped;
    }
}
