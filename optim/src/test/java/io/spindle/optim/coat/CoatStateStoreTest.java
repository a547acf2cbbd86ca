package io.spindle.optim.coat;

import io.spindle.optim.Optimizer;
import io.spindle.optim.ParamSlot;
import io.spindle.optim.adamw.AdamW;
import io.spindle.optim.muon.NorMuon;
import io.spindle.optim.state.StateFormat;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CoatStateStoreTest {
    /** The last is larger than one codec chunk (16,384), so it runs the parallel path. */
    private static final long[][] SHAPES = {{48, 40}, {300}, {7, 9}, {250, 100}};

    private static List<ParamSlot> params(long seed) {
        Nd4j.getRandom().setSeed(seed);
        List<ParamSlot> out = new ArrayList<>();
        for (int i = 0; i < SHAPES.length; i++) {
            INDArray w = Nd4j.randn(DataType.FLOAT, SHAPES[i]).muli(0.1);
            out.add(new ParamSlot("p" + i, SHAPES[i], SHAPES[i].length == 2 ? ParamSlot.MATRIX : ParamSlot.VECTOR, w,
                    Nd4j.zeros(DataType.FLOAT, SHAPES[i])));
        }
        return out;
    }

    private static void steps(Optimizer o, List<ParamSlot> params, int from, int to) {
        for (int t = from; t < to; t++) {
            Nd4j.getRandom().setSeed(1000 + t);
            for (ParamSlot p : params) p.grad().assign(Nd4j.randn(DataType.FLOAT, p.shape()).muli(0.01 * (1 + t)));
            o.step(params, 1e-2);
        }
    }

    /** Resuming from a checkpoint of the compressed state continues bit-identically. */
    @Test
    void checkpointOfCompressedStateResumesBitIdentically() {
        for (Supplier<Optimizer> make : List.<Supplier<Optimizer>>of(
                () -> new AdamW(0.9, 0.95, 1e-8, 0.1, ParamSlot.ROLES, StateFormat.coat(32)),
                () -> new NorMuon(0.95, true, 5, 0.95, 0.0, StateFormat.coat(32)))) {
            List<ParamSlot> straight = params(1);
            List<ParamSlot> resumed = params(1);
            if (make.get() instanceof NorMuon) {
                straight = straight.subList(0, 1);
                resumed = resumed.subList(0, 1);
            }
            Optimizer a = make.get();
            steps(a, straight, 0, 6);
            Optimizer b = make.get();
            steps(b, resumed, 0, 3);
            Map<String, INDArray> saved = b.state();
            assertTrue(saved.keySet().stream().anyMatch(k -> k.endsWith(".fp8")), "codes are checkpointed");
            assertEquals(DataType.BYTE, saved.get("p0/" + (b instanceof AdamW ? "m" : "momentum") + ".fp8").dataType());
            Optimizer c = make.get();
            c.loadState(saved);
            steps(c, resumed, 3, 6);
            for (int i = 0; i < straight.size(); i++) {
                assertEquals(straight.get(i).value(), resumed.get(i).value(), "param " + i + " of " + a.getClass());
            }
        }
    }

    /** COAT AdamW follows dense AdamW closely: the quantization error of m and v, not a different rule. */
    @Test
    void coatAdamwTracksDenseAdamw() {
        List<ParamSlot> dense = params(2);
        List<ParamSlot> coat = params(2);
        steps(new AdamW(0.9, 0.95, 1e-8, 0.1, ParamSlot.ROLES), dense, 0, 20);
        steps(new AdamW(0.9, 0.95, 1e-8, 0.1, ParamSlot.ROLES, StateFormat.coat(128)), coat, 0, 20);
        for (int i = 0; i < dense.size(); i++) {
            INDArray start = params(2).get(i).value();
            double moved = dense.get(i).value().sub(start).norm2Number().doubleValue();
            double apart = dense.get(i).value().sub(coat.get(i).value()).norm2Number().doubleValue();
            assertTrue(apart < 0.1 * moved, "param " + i + ": COAT is " + apart + " from dense, which moved " + moved);
            assertNotEquals(0.0, apart, "COAT changed nothing: is the state really quantized?");
        }
    }

    /** Per value and slot one code byte, per group a float32 max and a 16-bit k: 2 (1 + 6/128) = 2.094 bytes for AdamW. */
    @Test
    void stateTakesOneByteAndAGroupsMaxAndKPerElementAndSlot() {
        AdamW coat = new AdamW(0.9, 0.95, 1e-8, 0.1, ParamSlot.ROLES, StateFormat.coat(128));
        List<ParamSlot> params = params(3);
        steps(coat, params, 0, 1);
        long n = 48 * 40 + 300 + 63 + 25_000;
        long groups = (48 * 40 + 127) / 128 + (300 + 127) / 128 + 1 + (25_000 + 127) / 128;
        assertEquals(2 * (n + 6 * groups), coat.stateBytes());
        assertTrue(coat.stateBytes() <= 2.1 * n, coat.stateBytes() + " bytes for " + n + " parameters");
        AdamW dense = new AdamW(0.9, 0.95, 1e-8, 0.1);
        steps(dense, params(3), 0, 1);
        assertEquals(8 * n, dense.stateBytes());
    }

    @Test
    void loadRefusesAnotherGroupSizeOrADenseState() {
        AdamW writer = new AdamW(0.9, 0.95, 1e-8, 0.1, ParamSlot.ROLES, StateFormat.coat(64));
        steps(writer, params(4), 0, 1);
        Map<String, INDArray> saved = writer.state();
        AdamW other = new AdamW(0.9, 0.95, 1e-8, 0.1, ParamSlot.ROLES, StateFormat.coat(128));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> other.loadState(saved));
        assertTrue(e.getMessage().contains("group size 128"), e.getMessage());
        AdamW dense = new AdamW(0.9, 0.95, 1e-8, 0.1);
        steps(dense, params(4), 0, 1);
        AdamW coat = new AdamW(0.9, 0.95, 1e-8, 0.1, ParamSlot.ROLES, StateFormat.coat(64));
        assertThrows(IllegalArgumentException.class, () -> coat.loadState(dense.state()));
        Map<String, INDArray> missing = new HashMap<>(saved);
        missing.remove("p0/v.k");
        IllegalArgumentException m = assertThrows(IllegalArgumentException.class,
                () -> new AdamW(0.9, 0.95, 1e-8, 0.1, ParamSlot.ROLES, StateFormat.coat(64)).loadState(missing));
        assertTrue(m.getMessage().contains("p0/v.k"), m.getMessage());
        Map<String, INDArray> badK = new HashMap<>(saved);
        badK.put("p0/v.k", saved.get("p0/v.k").add(0.03));
        IllegalArgumentException k = assertThrows(IllegalArgumentException.class,
                () -> new AdamW(0.9, 0.95, 1e-8, 0.1, ParamSlot.ROLES, StateFormat.coat(64)).loadState(badK));
        assertTrue(k.getMessage().contains("multiple of 1/16"), k.getMessage());
    }
}
