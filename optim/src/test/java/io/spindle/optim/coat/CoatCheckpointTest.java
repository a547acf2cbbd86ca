package io.spindle.optim.coat;

import io.spindle.optim.ParamSlot;
import io.spindle.optim.adamw.AdamW;
import io.spindle.optim.fp8.Fp8Format;
import io.spindle.optim.state.StateFormat;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Checkpoints of the earlier layout (per-group max and min, k recomputed from them) load into the max + k layout. */
class CoatCheckpointTest {
    private static final int G = 16;
    private static final long[] SHAPE = {40, 12};

    /** A slot quantized the way the max/min layout did, from the README's formulas in double. */
    private record LegacySlot(byte[] codes, float[] max, float[] min, double[] values) {}

    private static LegacySlot legacy(float[] x) {
        int groups = (x.length + G - 1) / G;
        byte[] codes = new byte[x.length];
        float[] max = new float[groups];
        float[] min = new float[groups];
        double[] values = new double[x.length];
        for (int g = 0; g < groups; g++) {
            int start = g * G;
            int end = Math.min(x.length, start + G);
            double hi = 0;
            double lo = Double.POSITIVE_INFINITY;
            for (int i = start; i < end; i++) {
                hi = Math.max(hi, Math.abs(x[i]));
                lo = Math.min(lo, Math.abs(x[i]));
            }
            max[g] = (float) (hi + 1e-20);
            min[g] = (float) (lo + 1e-20);
            double ratio = (double) max[g] / min[g];
            double k = ratio <= 1 ? 1 : Math.max(1, Math.floor(16 * Math.log(448.0 * 448.0 / 2) / Math.log(ratio))) / 16;
            double center = Math.sqrt((double) max[g] * min[g]);
            double scale = Math.pow(max[g] / center, k) / 448;
            for (int i = start; i < end; i++) {
                codes[i] = Fp8Format.E4M3.encode((float) (Math.signum(x[i]) * Math.pow(Math.abs(x[i]) / center, k) / scale));
                double q = Fp8Format.E4M3.decode(codes[i]);
                values[i] = Math.signum(q) * Math.pow(Math.abs(q) * scale, 1 / k) * center;
            }
        }
        return new LegacySlot(codes, max, min, values);
    }

    private static float[] moments(long seed, boolean positive) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] x = new float[(int) (SHAPE[0] * SHAPE[1])];
        for (int i = 0; i < x.length; i++) {
            double magnitude = Math.pow(10, -8 + 6 * random.nextDouble());
            x[i] = (float) (positive || random.nextBoolean() ? magnitude : -magnitude);
        }
        // group 1: magnitudes within 0.05 %, whose k (about 23,000) is beyond the 16-bit code
        for (int i = G; i < 2 * G; i++) x[i] = (float) (1e-3 * (1 + 5e-4 * random.nextDouble()));
        return x;
    }

    @Test
    void maxMinCheckpointLoadsWithItsValuesAndResumes() {
        LegacySlot m = legacy(moments(1, false));
        LegacySlot v = legacy(moments(2, true));
        Map<String, INDArray> checkpoint = new LinkedHashMap<>();
        checkpoint.put("step", Nd4j.scalar(DataType.INT64, 3L));
        checkpoint.put(CoatStateStore.GROUP_SIZE, Nd4j.scalar(DataType.INT64, (long) G));
        for (Map.Entry<String, LegacySlot> e : Map.of("m", m, "v", v).entrySet()) {
            checkpoint.put("w/" + e.getKey() + ".fp8", Nd4j.createFromArray(e.getValue().codes().clone()).reshape('c', SHAPE));
            checkpoint.put("w/" + e.getKey() + ".max", Nd4j.createFromArray(e.getValue().max().clone()));
            checkpoint.put("w/" + e.getKey() + ".min", Nd4j.createFromArray(e.getValue().min().clone()));
        }
        CoatStateStore store = new CoatStateStore(G, new String[] {"m", "v"}, new boolean[2]);
        store.load(checkpoint);
        assertEquals(3, store.step());
        Map<String, INDArray> values = store.values();
        for (Map.Entry<String, LegacySlot> e : Map.of("m", m, "v", v).entrySet()) {
            float[] got = values.get("w/" + e.getKey()).dup('c').data().asFloat();
            double[] want = e.getValue().values();
            for (int i = 0; i < got.length; i++) {
                // the group beyond the 16-bit k is quantized again: E4M3's precision, spread over k
                double tolerance = i / G == 1 ? 3e-5 * Math.abs(want[i]) : 2 * Math.ulp((float) want[i]);
                assertEquals(want[i], got[i], tolerance, e.getKey() + " element " + i);
            }
        }
        Map<String, INDArray> saved = store.snapshot();
        assertTrue(saved.containsKey("w/m.k"), "saved in the current layout: " + saved.keySet());
        assertFalse(saved.containsKey("w/m.min"));
        assertEquals(CoatQuantizer.MAX_K16 / 16.0, saved.get("w/m.k").getDouble(1), "group 1's k is capped");

        // an optimizer resumes from the old checkpoint as from the new one, bit for bit
        AdamW fromOld = new AdamW(0.9, 0.95, 1e-8, 0.1, ParamSlot.ROLES, StateFormat.coat(G));
        AdamW fromNew = new AdamW(0.9, 0.95, 1e-8, 0.1, ParamSlot.ROLES, StateFormat.coat(G));
        fromOld.loadState(checkpoint);
        fromNew.loadState(saved);
        List<ParamSlot> a = List.of(param());
        List<ParamSlot> b = List.of(param());
        fromOld.step(a, 1e-3);
        fromNew.step(b, 1e-3);
        CoatFusedUpdateTest.assertBitsEqual(b.get(0).value(), a.get(0).value(), "parameter after one step");
        assertEquals(4, fromOld.stepCount());
    }

    private static ParamSlot param() {
        Nd4j.getRandom().setSeed(9);
        return new ParamSlot("w", SHAPE, ParamSlot.MATRIX, Nd4j.randn(DataType.FLOAT, SHAPE),
                Nd4j.randn(DataType.FLOAT, SHAPE).muli(1e-3));
    }
}
