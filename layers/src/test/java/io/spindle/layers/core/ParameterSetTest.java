package io.spindle.layers.core;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ParameterSetTest {

    private static ParameterSet twoMatrices(String first, String second, long seed) {
        ParameterSet set = new ParameterSet();
        set.add(first, new long[] {3, 4}, ParameterRole.MATRIX, Initializer.normal(0.02));
        set.add(second, new long[] {3, 4}, ParameterRole.MATRIX, Initializer.normal(0.02));
        set.allocate(seed);
        return set;
    }

    @Test
    void valueAndGradViewsShareTheFlatBuffers() {
        ParameterSet set = new ParameterSet();
        Parameter a = set.add("a", new long[] {5}, ParameterRole.NORM, Initializer.constant(1f));
        Parameter w = set.add("w", new long[] {3, 4}, ParameterRole.MATRIX, Initializer.normal(0.02));
        set.allocate(1);

        assertEquals(17, set.totalSize());
        assertEquals(0, a.offset());
        assertEquals(5, w.offset());
        assertArrayEquals(new long[] {3, 4}, w.value().shape());
        assertEquals(1f, set.values().getFloat(4), 0f);

        w.value().putScalar(2, 1, 7f);
        assertEquals(7f, set.values().getFloat(5 + 2 * 4 + 1), 0f);
        set.grads().putScalar(5 + 11, 3f);
        assertEquals(3f, w.grad().getFloat(2, 3), 0f);

        // Fused kernels index the root buffer with view.offset() + i.
        FloatBuffer flat = Buffers.floats(w.value());
        assertEquals(7f, flat.get((int) w.value().offset() + 9), 0f);

        set.zeroGrads();
        assertEquals(0f, w.grad().getFloat(2, 3), 0f);
    }

    @Test
    void initializationDependsOnSeedAndNameNotOnRegistrationOrder() {
        ParameterSet ab = twoMatrices("a", "b", 42);
        ParameterSet ba = twoMatrices("b", "a", 42);
        INDArray a1 = ab.get("a").value();
        assertEquals(a1, ba.get("a").value());
        assertEquals(ab.get("b").value(), ba.get("b").value());
        assertFalse(a1.equals(ab.get("b").value()), "different names must draw different values");
        assertFalse(a1.equals(twoMatrices("a", "b", 43).get("a").value()), "different seeds must draw different values");

        double std = Math.sqrt(twoMatrices("big", "other", 7).get("big").value().varNumber().doubleValue());
        assertTrue(std > 0.005 && std < 0.05, "normal(0.02) drew std " + std);
    }

    @Test
    void rejectsMisuse() {
        ParameterSet set = new ParameterSet();
        set.add("w", new long[] {2}, ParameterRole.VECTOR, Initializer.constant(0f));
        assertThrows(IllegalArgumentException.class, () -> set.add("w", new long[] {2}, ParameterRole.VECTOR, Initializer.constant(0f)));
        assertThrows(IllegalStateException.class, () -> set.get("w").value());
        assertThrows(IllegalStateException.class, set::values);
        set.allocate(0);
        assertThrows(IllegalStateException.class, () -> set.allocate(0));
        assertThrows(IllegalStateException.class, () -> set.add("v", new long[] {2}, ParameterRole.VECTOR, Initializer.constant(0f)));
        assertThrows(IllegalArgumentException.class, () -> set.get("nope"));
    }
}
