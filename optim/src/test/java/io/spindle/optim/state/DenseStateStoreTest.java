package io.spindle.optim.state;

import io.spindle.optim.FlatParams;
import io.spindle.optim.ParamSlot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DenseStateStoreTest {
    private final FlatParams params = new FlatParams(
            "w", ParamSlot.MATRIX, new long[] {3, 2},
            "g", ParamSlot.NORM, new long[] {2});

    @Test
    void snapshotNamesEveryTensorAndCarriesTheStep() {
        DenseStateStore store = new DenseStateStore("m", "v");
        store.slotsFor(params.slots);
        store.advance();
        Map<String, INDArray> snap = store.snapshot();
        assertEquals(List.of("step", "w/m", "w/v", "g/m", "g/v"), List.copyOf(snap.keySet()));
        assertEquals(0, snap.get("step").rank());
        assertEquals(DataType.INT64, snap.get("step").dataType());
        assertEquals(1L, snap.get("step").getLong(0));
        assertEquals("[3, 2]", java.util.Arrays.toString(snap.get("w/v").shape()));
    }

    @Test
    void snapshotIsDetachedFromTheLiveState() {
        DenseStateStore store = new DenseStateStore("m");
        INDArray live = store.slotsFor(params.slots).get(0)[0];
        store.snapshot().get("w/m").assign(5f);
        assertEquals(0f, live.getFloat(0));
    }

    @Test
    void loadNamesAMissingTensor() {
        Map<String, INDArray> state = savedState();
        state.remove("g/v");
        assertMessage(() -> new DenseStateStore("m", "v").load(state), "missing tensor g/v");
        Map<String, INDArray> noStep = savedState();
        noStep.remove("step");
        assertMessage(() -> new DenseStateStore("m", "v").load(noStep), "missing tensor step");
    }

    @Test
    void loadNamesAnUnexpectedOrMistypedTensor() {
        Map<String, INDArray> extra = savedState();
        extra.put("w/momentum", Nd4j.zeros(DataType.FLOAT, 3, 2));
        assertMessage(() -> new DenseStateStore("m", "v").load(extra), "w/momentum");
        Map<String, INDArray> doubles = savedState();
        doubles.put("w/v", Nd4j.zeros(DataType.DOUBLE, 3, 2));
        assertMessage(() -> new DenseStateStore("m", "v").load(doubles), "w/v");
        Map<String, INDArray> negative = savedState();
        negative.put("step", Nd4j.scalar(DataType.INT64, -3L));
        assertMessage(() -> new DenseStateStore("m", "v").load(negative), "step");
    }

    @Test
    void loadNamesSlotsThatDisagreeInShape() {
        Map<String, INDArray> state = savedState();
        state.put("w/v", Nd4j.zeros(DataType.FLOAT, 2, 3));
        assertMessage(() -> new DenseStateStore("m", "v").load(state), "w/v has shape [2, 3]");
    }

    @Test
    void storeWithStateRejectsAnotherModelsParameters() {
        DenseStateStore store = new DenseStateStore("m", "v");
        store.slotsFor(params.slots);
        Map<String, INDArray> state = savedState();
        state.put("other/m", Nd4j.zeros(DataType.FLOAT, 4));
        state.put("other/v", Nd4j.zeros(DataType.FLOAT, 4));
        assertMessage(() -> store.load(state), "other/m");
    }

    @Test
    void loadCopiesTheTensorsAndRestoresTheStep() {
        Map<String, INDArray> state = savedState();
        state.get("w/m").assign(0.25f);
        state.put("step", Nd4j.scalar(DataType.INT64, 41L));
        DenseStateStore store = new DenseStateStore("m", "v");
        store.load(state);
        state.get("w/m").assign(-1f);
        assertEquals(41, store.step());
        assertEquals(0.25f, store.slotsFor(params.slots).get(0)[0].getFloat(1, 1));
    }

    @Test
    void aFailedLookupAllocatesNothing() {
        DenseStateStore store = new DenseStateStore("m");
        ParamSlot w = params.slots.get(0);
        assertMessage(() -> store.slotsFor(List.of(w, params.slots.get(1), w)), "passed twice");
        store.slotsFor(List.of(w));
        assertEquals(List.of("step", "w/m"), List.copyOf(store.snapshot().keySet()));
    }

    private Map<String, INDArray> savedState() {
        DenseStateStore store = new DenseStateStore("m", "v");
        store.slotsFor(params.slots);
        store.advance();
        return new LinkedHashMap<>(store.snapshot());
    }

    private static void assertMessage(Executable call, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void perRowSlotIsShapedRowsByOneAndCheckedOnLoad() {
        FlatParams matrix = new FlatParams("w", ParamSlot.MATRIX, new long[] {3, 2});
        DenseStateStore store = new DenseStateStore(new String[] {"momentum", "second"}, new boolean[] {false, true});
        INDArray[] slots = store.slotsFor(matrix.slots).get(0);
        assertEquals("[3, 2]", java.util.Arrays.toString(slots[0].shape()));
        assertEquals("[3, 1]", java.util.Arrays.toString(slots[1].shape()));
        Map<String, INDArray> snap = new LinkedHashMap<>(store.snapshot());
        new DenseStateStore(new String[] {"momentum", "second"}, new boolean[] {false, true}).load(snap);
        snap.put("w/second", Nd4j.zeros(DataType.FLOAT, 3, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new DenseStateStore(new String[] {"momentum", "second"}, new boolean[] {false, true}).load(snap));
        assertTrue(e.getMessage().contains("w/second"), e.getMessage());
    }

    @Test
    void perRowSlotNeedsAMatrixAndMayNotComeFirst() {
        DenseStateStore store = new DenseStateStore(new String[] {"m", "r"}, new boolean[] {false, true});
        assertThrows(IllegalArgumentException.class, () -> store.slotsFor(params.slots));
        assertThrows(IllegalArgumentException.class,
                () -> new DenseStateStore(new String[] {"r", "m"}, new boolean[] {true, false}));
    }
}
