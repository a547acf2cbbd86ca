package io.spindle.optim.clip;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GradientClippingTest {

    @Test
    void globalNormOfAViewCoversOnlyTheView() {
        INDArray flat = Nd4j.createFromArray(100f, 3f, 4f, 12f, 100f);
        INDArray view = flat.get(NDArrayIndex.interval(1, 4));
        assertEquals(13.0, GradientClipping.globalNorm(view), 0);
    }

    @Test
    void globalNormAccumulatesInDouble() {
        // 4M squares of 1e-3 sum to 4; a float accumulator stalls once 1e-6 falls below half an ulp of the sum.
        float[] data = new float[4_000_000];
        Arrays.fill(data, 1e-3f);
        double want = Math.sqrt(4_000_000 * (double) 1e-3f * (double) 1e-3f);
        assertEquals(want, GradientClipping.globalNorm(Nd4j.createFromArray(data)), 1e-9);
    }

    @Test
    void clipsAboveMaxNormAndReturnsThePreClipNorm() {
        INDArray flat = Nd4j.createFromArray(9f, 3f, -4f, 9f);
        INDArray grads = flat.get(NDArrayIndex.interval(1, 3));
        double norm = GradientClipping.clipGlobalNorm(grads, 1.0);
        assertEquals(5.0, norm, 0);
        assertEquals(0.6, grads.getDouble(0), 1e-6);
        assertEquals(-0.8, grads.getDouble(1), 1e-6);
        double after = GradientClipping.globalNorm(grads);
        assertTrue(after <= 1.0 && after > 1.0 - 1e-5, "norm after clipping " + after);
        assertEquals(9f, flat.getFloat(0));
        assertEquals(9f, flat.getFloat(3));
    }

    @Test
    void leavesGradientsAtOrBelowMaxNormOrWithClippingOff() {
        INDArray grads = Nd4j.createFromArray(3f, -4f);
        assertEquals(5.0, GradientClipping.clipGlobalNorm(grads, 5.0), 0);
        assertEquals(5.0, GradientClipping.clipGlobalNorm(grads, 0.0), 0);
        assertEquals(5.0, GradientClipping.clipGlobalNorm(grads, -1.0), 0);
        assertArrayEquals(new float[] {3f, -4f}, grads.data().asFloat());
        assertThrows(IllegalArgumentException.class, () -> GradientClipping.clipGlobalNorm(grads, Double.NaN));
    }

    @Test
    void nonFiniteGradientsAreReportedNotScaled() {
        INDArray nan = Nd4j.createFromArray(3f, Float.NaN, 4f);
        assertTrue(Double.isNaN(GradientClipping.clipGlobalNorm(nan, 1.0)));
        assertEquals(3f, nan.getFloat(0));
        INDArray inf = Nd4j.createFromArray(3f, Float.POSITIVE_INFINITY);
        assertEquals(Double.POSITIVE_INFINITY, GradientClipping.clipGlobalNorm(inf, 1.0));
        assertEquals(3f, inf.getFloat(0));
    }

    @Test
    void allFiniteFindsNaNAndInfinity() {
        assertTrue(GradientClipping.allFinite(Nd4j.createFromArray(1f, -2f, Float.MAX_VALUE)));
        assertFalse(GradientClipping.allFinite(Nd4j.createFromArray(1f, Float.NaN)));
        assertFalse(GradientClipping.allFinite(Nd4j.createFromArray(Float.NEGATIVE_INFINITY, 1f)));
        INDArray flat = Nd4j.createFromArray(Float.NaN, 1f, 2f);
        assertTrue(GradientClipping.allFinite(flat.get(NDArrayIndex.interval(1, 3))));
        assertThrows(IllegalArgumentException.class, () -> GradientClipping.allFinite(Nd4j.zeros(DataType.DOUBLE, 2)));
    }
}
