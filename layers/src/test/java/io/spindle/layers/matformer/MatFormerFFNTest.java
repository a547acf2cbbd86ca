package io.spindle.layers.matformer;

import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.Parameter;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.ffn.SwiGLU;
import io.spindle.layers.testing.FiniteDifference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MatFormerFFNTest {
    private static final int D = 6;
    private static final int H = 24;

    @ParameterizedTest
    @ValueSource(ints = {1, 5, 12, 24})
    void backwardMatchesFiniteDifferencesAtEveryWidth(int m) {
        SplittableRandom random = new SplittableRandom(m);
        ParameterSet params = new ParameterSet();
        MatFormerFFN ffn = new MatFormerFFN(params, "ffn", D, H, Initializer.normal(0.5), Initializer.normal(0.3));
        params.allocate(3);
        ffn.useWidth(m);
        INDArray x = FiniteDifference.normal(random, 1, 15, D);
        INDArray r = FiniteDifference.normal(random, 1, 15, D);
        ffn.forward(x);
        INDArray dx = ffn.backward(r).dup();
        FiniteDifference.check("MatFormer m=" + m + " dx", x, dx, () -> FiniteDifference.dot(ffn.forward(x), r), 1e-2, 1e-3, random);
        for (Parameter p : params.parameters()) {
            FiniteDifference.check("MatFormer m=" + m + " d" + p.name(), p.value(), p.grad(),
                    () -> FiniteDifference.dot(ffn.forward(x), r), 1e-2, 1e-3, random);
        }
    }

    @Test
    void neuronsBeyondTheWidthGetNoGradientAndDoNotChangeTheOutput() {
        SplittableRandom random = new SplittableRandom(1);
        ParameterSet params = new ParameterSet();
        MatFormerFFN ffn = new MatFormerFFN(params, "ffn", D, H, Initializer.normal(0.5), Initializer.normal(0.3));
        params.allocate(4);
        int m = 7;
        ffn.useWidth(m);
        INDArray x = FiniteDifference.normal(random, 1, 9, D);
        INDArray y = ffn.forward(x).dup();
        ffn.backward(FiniteDifference.normal(random, 1, 9, D));
        assertEquals(0.0, params.get("ffn.w1").grad().get(NDArrayIndex.interval(m, H), NDArrayIndex.all()).amaxNumber().doubleValue());
        assertEquals(0.0, params.get("ffn.w3").grad().get(NDArrayIndex.interval(m, H), NDArrayIndex.all()).amaxNumber().doubleValue());
        assertEquals(0.0, params.get("ffn.w2").grad().get(NDArrayIndex.all(), NDArrayIndex.interval(m, H)).amaxNumber().doubleValue());
        assertTrue(params.get("ffn.w2").grad().get(NDArrayIndex.all(), NDArrayIndex.interval(0, m)).amaxNumber().doubleValue() > 0);

        // changing the unused neurons leaves the width-m output as it was
        params.get("ffn.w1").value().get(NDArrayIndex.interval(m, H), NDArrayIndex.all()).assign(5f);
        params.get("ffn.w2").value().get(NDArrayIndex.all(), NDArrayIndex.interval(m, H)).assign(-5f);
        assertEquals(0.0, ffn.forward(x).sub(y).amaxNumber().doubleValue());
    }

    /** Independent reference: an m-neuron SwiGLU holding copies of the first m neurons. */
    @ParameterizedTest
    @ValueSource(ints = {3, 24})
    void widthMEqualsASwiGLUBuiltFromTheFirstMNeurons(int m) {
        SplittableRandom random = new SplittableRandom(2);
        ParameterSet params = new ParameterSet();
        MatFormerFFN ffn = new MatFormerFFN(params, "ffn", D, H, Initializer.normal(0.5), Initializer.normal(0.3));
        params.allocate(5);
        ParameterSet small = new ParameterSet();
        SwiGLU swiglu = new SwiGLU(small, "s", D, m, Initializer.constant(0f), Initializer.constant(0f));
        small.allocate(0);
        small.get("s.w1").value().assign(params.get("ffn.w1").value().get(NDArrayIndex.interval(0, m), NDArrayIndex.all()));
        small.get("s.w3").value().assign(params.get("ffn.w3").value().get(NDArrayIndex.interval(0, m), NDArrayIndex.all()));
        small.get("s.w2").value().assign(params.get("ffn.w2").value().get(NDArrayIndex.all(), NDArrayIndex.interval(0, m)));
        INDArray x = FiniteDifference.normal(random, 1, 11, D);
        INDArray r = FiniteDifference.normal(random, 1, 11, D);
        ffn.useWidth(m);
        assertEquals(0.0, ffn.forward(x).sub(swiglu.forward(x)).amaxNumber().doubleValue(), 1e-6);
        assertEquals(0.0, ffn.backward(r).sub(swiglu.backward(r)).amaxNumber().doubleValue(), 1e-6);
        assertEquals(0.0, params.get("ffn.w2").grad().get(NDArrayIndex.all(), NDArrayIndex.interval(0, m))
                .sub(small.get("s.w2").grad()).amaxNumber().doubleValue(), 1e-6);
    }

    @Test
    void backwardUsesTheWidthOfItsForwardAndWidthsAlternateWithoutMixingState() {
        SplittableRandom random = new SplittableRandom(6);
        ParameterSet params = new ParameterSet();
        MatFormerFFN ffn = new MatFormerFFN(params, "ffn", D, H, Initializer.normal(0.5), Initializer.normal(0.3));
        params.allocate(6);
        INDArray x = FiniteDifference.normal(random, 1, 5, D);
        INDArray r = FiniteDifference.normal(random, 1, 5, D);
        ffn.useWidth(4);
        ffn.forward(x);
        ffn.useWidth(H); // selected for the next forward only
        INDArray dx4 = ffn.backward(r).dup();
        ffn.useWidth(4);
        ffn.forward(x);
        assertEquals(0.0, ffn.backward(r).sub(dx4).amaxNumber().doubleValue());
    }

    @Test
    void rejectsWidthsOutsideTheHiddenSize() {
        ParameterSet params = new ParameterSet();
        MatFormerFFN ffn = new MatFormerFFN(params, "blocks.0.ffn", D, H, Initializer.normal(0.5), Initializer.normal(0.3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ffn.useWidth(25));
        assertTrue(e.getMessage().contains("width 25 is outside [1, 24]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ffn.useWidth(0));
    }
}
