package io.spindle.layers.chain;

import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.Parameter;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.ffn.SwiGLU;
import io.spindle.layers.testing.FiniteDifference;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ChainSwiGLUTest {
    private static final Chains MODEL = Chains.of(2, 4, 2);
    private static final Chains HIDDEN = MODEL.scaledTo(24);

    private static ChainSwiGLU build(ParameterSet params) {
        ChainSwiGLU ffn = new ChainSwiGLU(params, "ffn", MODEL, HIDDEN, Initializer.normal(0.5), Initializer.normal(0.3));
        params.allocate(50);
        return ffn;
    }

    /** Independent reference: the baseline SwiGLU with the dense masked matrices. */
    @Test
    void equalsTheBaselineSwiGLUWithMaskedMatrices() {
        ParameterSet params = new ParameterSet();
        ChainSwiGLU ffn = build(params);
        ParameterSet denseParams = new ParameterSet();
        SwiGLU dense = new SwiGLU(denseParams, "d", MODEL.total(), HIDDEN.total(), Initializer.constant(0f), Initializer.constant(0f));
        denseParams.allocate(0);
        for (String w : new String[] {"w1", "w2", "w3"}) {
            INDArray blocks = denseOf(params, w, w.equals("w2") ? HIDDEN : MODEL, w.equals("w2") ? MODEL : HIDDEN);
            denseParams.get("d." + w).value().assign(blocks);
        }
        INDArray x = FiniteDifference.normal(new SplittableRandom(1), 1, 9, MODEL.total());
        INDArray r = FiniteDifference.normal(new SplittableRandom(2), 1, 9, MODEL.total());
        assertEquals(0.0, ffn.forward(x).sub(dense.forward(x)).amaxNumber().doubleValue(), 1e-5);
        assertEquals(0.0, ffn.backward(r).sub(dense.backward(r)).amaxNumber().doubleValue(), 1e-5);
    }

    /** The dense [out, in] matrix of the chain blocks {@code name.chain<j>}, zero where masked. */
    private static INDArray denseOf(ParameterSet params, String name, Chains in, Chains out) {
        INDArray d = org.nd4j.linalg.factory.Nd4j.zeros(org.nd4j.linalg.api.buffer.DataType.FLOAT, out.total(), in.total());
        for (int j = 0; j < out.count(); j++) {
            INDArray block = params.get("ffn." + name + ".chain" + j).value();
            for (int o = 0; o < block.size(0); o++) {
                for (int i = 0; i < block.size(1); i++) d.putScalar(out.offset(j) + o, i, block.getFloat(o, i));
            }
        }
        return d;
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        SplittableRandom random = new SplittableRandom(3);
        ParameterSet params = new ParameterSet();
        ChainSwiGLU ffn = build(params);
        INDArray x = FiniteDifference.normal(random, 1, 7, MODEL.total());
        INDArray r = FiniteDifference.normal(random, 1, 7, MODEL.total());
        ffn.forward(x);
        INDArray dx = ffn.backward(r).dup();
        FiniteDifference.check("chain ffn dx", x, dx, () -> FiniteDifference.dot(ffn.forward(x), r), 1e-2, 1e-3, random);
        for (Parameter p : params.parameters()) {
            FiniteDifference.check("d" + p.name(), p.value(), p.grad(), () -> FiniteDifference.dot(ffn.forward(x), r),
                    1e-2, 1e-3, random);
        }
    }
}
