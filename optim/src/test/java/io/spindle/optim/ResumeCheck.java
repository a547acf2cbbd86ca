package io.spindle.optim;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Checks the {@link Optimizer#loadState} contract: an optimizer restored from another's
 * {@link Optimizer#state()} takes bit-identical steps afterwards.
 */
public final class ResumeCheck {
    private ResumeCheck() {}

    /**
     * Steps an optimizer {@code before} times, restores a fresh one from its state and parameter
     * values, then steps both {@code after} more times with the same gradients and compares every
     * parameter and state tensor bit for bit.
     */
    public static void assertBitExactResume(Supplier<Optimizer> optimizers, Supplier<FlatParams> layout,
                                            int before, int after, double lr) {
        FlatParams pa = layout.get();
        pa.randomValues(new SplittableRandom(1));
        Optimizer a = optimizers.get();
        for (int t = 0; t < before; t++) {
            pa.randomGrads(new SplittableRandom(100 + t), 0.1);
            a.step(pa.slots, lr);
        }
        Map<String, INDArray> saved = a.state();
        FlatParams pb = layout.get();
        pb.values.assign(pa.values);
        Optimizer b = optimizers.get();
        b.loadState(saved);
        assertEquals(a.stepCount(), b.stepCount(), "restored step count");
        for (int t = 0; t < after; t++) {
            pa.randomGrads(new SplittableRandom(200 + t), 0.1);
            pb.randomGrads(new SplittableRandom(200 + t), 0.1);
            a.step(pa.slots, lr);
            b.step(pb.slots, lr);
        }
        assertArrayEquals(pa.values.toFloatVector(), pb.values.toFloatVector(), "parameters after resume");
        Map<String, INDArray> sa = a.state();
        Map<String, INDArray> sb = b.state();
        assertEquals(sa.keySet(), sb.keySet(), "state names");
        for (String k : sa.keySet()) {
            assertArrayEquals(sa.get(k).castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).data().asDouble(),
                    sb.get(k).castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).data().asDouble(), "state " + k);
        }
    }
}
