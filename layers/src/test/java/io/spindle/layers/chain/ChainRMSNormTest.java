package io.spindle.layers.chain;

import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.Parameter;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.norm.RMSNorm;
import io.spindle.layers.testing.FiniteDifference;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ChainRMSNormTest {
    private static final Chains CHAINS = Chains.of(3, 6, 5);

    private static ChainRMSNorm build(ParameterSet params) {
        ChainRMSNorm norm = new ChainRMSNorm(params, "n", CHAINS, 1e-5);
        params.allocate(0);
        SplittableRandom random = new SplittableRandom(1);
        for (Parameter p : params.parameters()) p.value().assign(FiniteDifference.normal(random, 1, p.shape()).addi(1f));
        return norm;
    }

    /** Independent reference: the baseline RMSNorm run on each chain's columns alone. */
    @Test
    void eachChainIsNormalizedByItselfAsTheBaselineNormWould() {
        ParameterSet params = new ParameterSet();
        ChainRMSNorm norm = build(params);
        INDArray x = FiniteDifference.normal(new SplittableRandom(2), 2, 7, CHAINS.total());
        INDArray r = FiniteDifference.normal(new SplittableRandom(3), 1, 7, CHAINS.total());
        INDArray y = norm.forward(x).dup();
        INDArray dx = norm.backward(r).dup();
        for (int j = 0; j < CHAINS.count(); j++) {
            ParameterSet single = new ParameterSet();
            RMSNorm ref = new RMSNorm(single, "g", CHAINS.size(j), 1e-5);
            single.allocate(0);
            single.get("g").value().assign(norm.gain(j).value());
            INDArray xj = x.get(NDArrayIndex.all(), NDArrayIndex.interval(CHAINS.offset(j), CHAINS.offset(j + 1))).dup();
            INDArray rj = r.get(NDArrayIndex.all(), NDArrayIndex.interval(CHAINS.offset(j), CHAINS.offset(j + 1))).dup();
            INDArray yj = y.get(NDArrayIndex.all(), NDArrayIndex.interval(CHAINS.offset(j), CHAINS.offset(j + 1)));
            INDArray dxj = dx.get(NDArrayIndex.all(), NDArrayIndex.interval(CHAINS.offset(j), CHAINS.offset(j + 1)));
            assertEquals(0.0, ref.forward(xj).sub(yj).amaxNumber().doubleValue(), 1e-6);
            assertEquals(0.0, ref.backward(rj).sub(dxj).amaxNumber().doubleValue(), 1e-5);
            assertEquals(0.0, single.get("g").grad().sub(norm.gain(j).grad()).amaxNumber().doubleValue(), 1e-5);
        }
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        SplittableRandom random = new SplittableRandom(4);
        ParameterSet params = new ParameterSet();
        ChainRMSNorm norm = build(params);
        INDArray x = FiniteDifference.normal(random, 1, 5, CHAINS.total());
        INDArray r = FiniteDifference.normal(random, 1, 5, CHAINS.total());
        norm.forward(x);
        INDArray dx = norm.backward(r).dup();
        FiniteDifference.check("chain norm dx", x, dx, () -> FiniteDifference.dot(norm.forward(x), r), 1e-2, 1e-3, random);
        for (Parameter p : params.parameters()) {
            FiniteDifference.check("d" + p.name(), p.value(), p.grad(), () -> FiniteDifference.dot(norm.forward(x), r),
                    1e-2, 1e-3, random);
        }
    }
}
