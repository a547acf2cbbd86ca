package io.spindle.layers.chain;

import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.Parameter;
import io.spindle.layers.core.ParameterRole;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.testing.FiniteDifference;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChainLinearTest {
    private static final Chains IN = Chains.of(3, 5, 4);
    private static final Chains OUT = Chains.of(2, 6, 4);

    private static ChainLinear build(ParameterSet params, boolean firstChainOnly) {
        ChainLinear l = firstChainOnly
                ? ChainLinear.fromFirstChain(params, "w", IN, OUT, ParameterRole.MATRIX, Initializer.normal(0.5))
                : ChainLinear.causal(params, "w", IN, OUT, ParameterRole.MATRIX, Initializer.normal(0.5));
        params.allocate(31);
        return l;
    }

    @Test
    void storesOneBlockPerOutputChainReadingItsInputPrefix() {
        ParameterSet params = new ParameterSet();
        build(params, false);
        assertArrayEquals(new long[] {2, 3}, params.get("w.chain0").shape());
        assertArrayEquals(new long[] {6, 8}, params.get("w.chain1").shape());
        assertArrayEquals(new long[] {4, 12}, params.get("w.chain2").shape());
        assertEquals(2 * 3 + 6 * 8 + 4 * 12, params.totalSize());
    }

    /** Independent reference: the dense block-lower-triangular matrix in double precision. */
    @Test
    void forwardIsTheDenseMaskedProduct() {
        for (boolean air : new boolean[] {false, true}) {
            ParameterSet params = new ParameterSet();
            ChainLinear l = build(params, air);
            INDArray x = FiniteDifference.normal(new SplittableRandom(2), 1, 7, IN.total());
            INDArray y = l.forward(x);
            for (int r = 0; r < 7; r++) {
                for (int j = 0; j < OUT.count(); j++) {
                    INDArray w = params.get("w.chain" + j).value();
                    int reads = air ? IN.size(0) : IN.offset(j + 1);
                    for (int o = 0; o < OUT.size(j); o++) {
                        double s = 0;
                        for (int i = 0; i < reads; i++) s += (double) x.getFloat(r, i) * w.getFloat(o, i);
                        assertEquals(s, y.getFloat(r, OUT.offset(j) + o), 1e-5);
                    }
                }
            }
        }
    }

    @Test
    void outputChainJDependsOnlyOnInputChainsUpToJ() {
        ParameterSet params = new ParameterSet();
        ChainLinear l = build(params, false);
        INDArray x = FiniteDifference.normal(new SplittableRandom(3), 1, 4, IN.total());
        INDArray y = l.forward(x).dup();
        x.get(NDArrayIndex.all(), NDArrayIndex.interval(IN.offset(1), IN.total())).addi(3f); // change chains 1, 2
        INDArray y2 = l.forward(x);
        INDArray chain0 = y2.get(NDArrayIndex.all(), NDArrayIndex.interval(0, OUT.size(0)));
        assertEquals(0.0, chain0.sub(y.get(NDArrayIndex.all(), NDArrayIndex.interval(0, OUT.size(0)))).amaxNumber().doubleValue());
        assertTrue(y2.sub(y).amaxNumber().doubleValue() > 0.1);
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        for (boolean air : new boolean[] {false, true}) {
            SplittableRandom random = new SplittableRandom(air ? 5 : 4);
            ParameterSet params = new ParameterSet();
            ChainLinear l = build(params, air);
            INDArray x = FiniteDifference.normal(random, 1, 6, IN.total());
            INDArray r = FiniteDifference.normal(random, 1, 6, OUT.total());
            l.forward(x);
            INDArray dx = l.backward(r).dup();
            if (air) {
                // nothing reads chains 1..: their input gradient is exactly zero
                assertEquals(0.0, dx.get(NDArrayIndex.all(), NDArrayIndex.interval(IN.size(0), IN.total())).amaxNumber().doubleValue());
                INDArray firstChain = x.get(NDArrayIndex.all(), NDArrayIndex.interval(0, IN.size(0)));
                FiniteDifference.check("air dx", firstChain, dx.get(NDArrayIndex.all(), NDArrayIndex.interval(0, IN.size(0))),
                        () -> FiniteDifference.dot(l.forward(x), r), 1e-2, 1e-3, random);
            } else {
                FiniteDifference.check("chain dx", x, dx, () -> FiniteDifference.dot(l.forward(x), r), 1e-2, 1e-3, random);
            }
            for (Parameter p : params.parameters()) {
                FiniteDifference.check("d" + p.name(), p.value(), p.grad(), () -> FiniteDifference.dot(l.forward(x), r),
                        1e-2, 1e-3, random);
            }
        }
    }

    @Test
    void accumulatingBackwardAddsToTheCallersGradient() {
        ParameterSet params = new ParameterSet();
        ChainLinear l = build(params, true);
        INDArray x = FiniteDifference.normal(new SplittableRandom(6), 1, 3, IN.total());
        INDArray r = FiniteDifference.normal(new SplittableRandom(7), 1, 3, OUT.total());
        l.forward(x);
        INDArray alone = l.backward(r).dup();
        INDArray dx = FiniteDifference.normal(new SplittableRandom(8), 1, 3, IN.total());
        INDArray want = dx.add(alone);
        l.backward(r, dx, true);
        assertEquals(0.0, dx.sub(want).amaxNumber().doubleValue(), 1e-6);
    }

    @Test
    void denseRoundTripIgnoresMaskedEntries() {
        ParameterSet params = new ParameterSet();
        ChainLinear l = build(params, false);
        INDArray dense = FiniteDifference.normal(new SplittableRandom(9), 1, OUT.total(), IN.total());
        l.assignDense(dense);
        INDArray back = l.denseValue();
        for (int j = 0; j < OUT.count(); j++) {
            for (int o = OUT.offset(j); o < OUT.offset(j + 1); o++) {
                for (int i = 0; i < IN.total(); i++) {
                    assertEquals(i < IN.offset(j + 1) ? dense.getFloat(o, i) : 0f, back.getFloat(o, i));
                }
            }
        }
    }
}
