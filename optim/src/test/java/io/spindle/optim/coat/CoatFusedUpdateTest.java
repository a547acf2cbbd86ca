package io.spindle.optim.coat;

import io.spindle.optim.ParamSlot;
import io.spindle.optim.adamw.AdamW;
import io.spindle.optim.state.StateFormat;
import io.spindle.optim.state.StateStore;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fused path (AdamW's update loop decoding and encoding COAT state a chunk at a time) against
 * the unfused one (the whole parameter's moments dequantized into float32 scratch, the plain
 * AdamW update on them, quantized back): the same parameters and the same stored bytes.
 */
class CoatFusedUpdateTest {
    /** Sizes around the fused chunk (1,024) and the codec's parallel chunk (16,384), with partial groups. */
    private static final long[][] SHAPES = {{48, 40}, {300}, {7, 9}, {250, 100}, {1024}, {1025}, {1}};
    private static final double B1 = 0.9, B2 = 0.95, EPS = 1e-8, WD = 0.1, LR = 1e-2;

    private static List<ParamSlot> params() {
        Nd4j.getRandom().setSeed(5);
        List<ParamSlot> out = new ArrayList<>();
        for (int i = 0; i < SHAPES.length; i++) {
            INDArray w = Nd4j.randn(DataType.FLOAT, SHAPES[i]).muli(0.1);
            out.add(new ParamSlot("p" + i, SHAPES[i], ParamSlot.MATRIX, w, Nd4j.zeros(DataType.FLOAT, SHAPES[i])));
        }
        return out;
    }

    private static void gradients(List<ParamSlot> params, int t) {
        Nd4j.getRandom().setSeed(2000 + t);
        for (ParamSlot p : params) {
            // gradients over several decades, so groups get very different k
            INDArray g = Nd4j.randn(DataType.FLOAT, p.shape());
            INDArray spread = Nd4j.rand(DataType.FLOAT, p.shape()).muli(-6 * Math.log(10));
            p.grad().assign(g.muli(Transforms.exp(spread, false)));
        }
    }

    @Test
    void fusedAdamwEqualsDequantizeUpdateQuantize() {
        int groupSize = 32;
        List<ParamSlot> fused = params();
        List<ParamSlot> unfused = params();
        AdamW optimizer = new AdamW(B1, B2, EPS, WD, ParamSlot.ROLES, StateFormat.coat(groupSize));
        CoatStateStore reference = new CoatStateStore(groupSize, new String[] {"m", "v"}, new boolean[2]);
        for (int t = 0; t < 5; t++) {
            gradients(fused, t);
            gradients(unfused, t);
            optimizer.step(fused, LR);
            StateStore.Step step = reference.open(unfused);
            for (int i = 0; i < unfused.size(); i++) {
                ParamSlot p = unfused.get(i);
                INDArray[] mv = step.slots(i);
                AdamW.update(p.value(), p.grad(), mv[0], mv[1], reference.step() + 1, LR, B1, B2, EPS, WD);
                step.commit(i);
            }
            reference.advance();
        }
        for (int i = 0; i < fused.size(); i++) {
            assertBitsEqual(unfused.get(i).value(), fused.get(i).value(), "parameter " + i);
        }
        Map<String, INDArray> want = reference.snapshot();
        Map<String, INDArray> got = optimizer.state();
        assertEquals(want.keySet(), got.keySet());
        for (String name : want.keySet()) assertBitsEqual(want.get(name), got.get(name), name);
        assertTrue(got.get("p3/v.k").maxNumber().doubleValue() > got.get("p3/v.k").minNumber().doubleValue(),
                "groups with different k were exercised");
    }

    /** Exact equality (INDArray.equals allows a tolerance). */
    static void assertBitsEqual(INDArray want, INDArray got, String what) {
        assertEquals(want.dataType(), got.dataType(), what);
        assertArrayEquals(want.shape(), got.shape(), what);
        switch (want.dataType()) {
            case BYTE -> assertArrayEquals(want.dup('c').data().asBytes(), got.dup('c').data().asBytes(), what);
            case LONG -> assertArrayEquals(want.dup('c').data().asLong(), got.dup('c').data().asLong(), what);
            default -> assertArrayEquals(want.dup('c').data().asFloat(), got.dup('c').data().asFloat(), what);
        }
    }
}
