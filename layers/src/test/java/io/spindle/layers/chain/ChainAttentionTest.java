package io.spindle.layers.chain;

import io.spindle.layers.attention.CausalSelfAttention;
import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.Parameter;
import io.spindle.layers.core.ParameterSet;
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

class ChainAttentionTest {
    private static final int BATCH = 2, SEQ = 6, HEADS = 4;
    private static final Chains CHAINS = Chains.of(4, 8, 4); // head size 4: 1, 2 and 1 heads

    private static ChainAttention build(ParameterSet params, Chains chains, boolean air) {
        ChainAttention attn = new ChainAttention(params, "attn", chains, chains.total() / 4, SEQ, 10_000, air,
                Initializer.normal(0.4), Initializer.normal(0.4));
        params.allocate(air ? 41 : 40);
        return attn;
    }

    /**
     * Independent reference: the baseline attention (itself checked against a double-precision
     * reference) with the dense block-triangular matrices, for Air with wk, wv zero beyond chain 0.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void equalsDenseAttentionWithTheMaskedMatrices(boolean air) {
        ParameterSet params = new ParameterSet();
        ChainAttention attn = build(params, CHAINS, air);
        ParameterSet denseParams = new ParameterSet();
        CausalSelfAttention dense = new CausalSelfAttention(denseParams, "d", CHAINS.total(), HEADS, SEQ, 10_000,
                Initializer.constant(0f), Initializer.constant(0f));
        denseParams.allocate(0);
        for (char p : new char[] {'q', 'k', 'v', 'o'}) {
            INDArray w = attn.projection(p).denseValue();
            denseParams.get("d.w" + p).value().get(NDArrayIndex.all(), NDArrayIndex.interval(0, w.size(1))).assign(w);
        }
        INDArray x = FiniteDifference.normal(new SplittableRandom(1), 1, BATCH * SEQ, CHAINS.total());
        INDArray r = FiniteDifference.normal(new SplittableRandom(2), 1, BATCH * SEQ, CHAINS.total());
        assertEquals(0.0, attn.forward(x, BATCH, SEQ).sub(dense.forward(x, BATCH, SEQ)).amaxNumber().doubleValue(), 1e-5);
        assertEquals(0.0, attn.backward(r).sub(dense.backward(r)).amaxNumber().doubleValue(), 1e-5);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void backwardMatchesFiniteDifferences(boolean air) {
        SplittableRandom random = new SplittableRandom(air ? 3 : 4);
        ParameterSet params = new ParameterSet();
        ChainAttention attn = build(params, CHAINS, air);
        INDArray x = FiniteDifference.normal(random, 1, BATCH * SEQ, CHAINS.total());
        INDArray r = FiniteDifference.normal(random, 1, BATCH * SEQ, CHAINS.total());
        attn.forward(x, BATCH, SEQ);
        INDArray dx = attn.backward(r).dup();
        FiniteDifference.check("chain attention dx", x, dx, () -> FiniteDifference.dot(attn.forward(x, BATCH, SEQ), r),
                1e-2, 2e-3, random);
        for (Parameter p : params.parameters()) {
            FiniteDifference.check("d" + p.name(), p.value(), p.grad(),
                    () -> FiniteDifference.dot(attn.forward(x, BATCH, SEQ), r), 1e-2, 2e-3, random);
        }
    }

    /**
     * Elastic inference: a layer built for the first k chains, holding the first k chains'
     * parameters (same names, same shapes), computes exactly the first k chains of the full layer.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void theFirstKChainsAreAWorkingSubLayer(boolean air) {
        ParameterSet params = new ParameterSet();
        ChainAttention full = build(params, CHAINS, air);
        INDArray x = FiniteDifference.normal(new SplittableRandom(5), 1, BATCH * SEQ, CHAINS.total());
        INDArray y = full.forward(x, BATCH, SEQ).dup();
        for (int k = 1; k <= CHAINS.count(); k++) {
            Chains prefix = CHAINS.prefix(k);
            ParameterSet subParams = new ParameterSet();
            ChainAttention sub = new ChainAttention(subParams, "attn", prefix, prefix.total() / 4, SEQ, 10_000, air,
                    Initializer.constant(0f), Initializer.constant(0f));
            subParams.allocate(0);
            for (Parameter p : subParams.parameters()) p.value().assign(params.get(p.name()).value());
            INDArray xk = x.get(NDArrayIndex.all(), NDArrayIndex.interval(0, prefix.total())).dup();
            INDArray yk = y.get(NDArrayIndex.all(), NDArrayIndex.interval(0, prefix.total()));
            assertEquals(0.0, sub.forward(xk, BATCH, SEQ).sub(yk).amaxNumber().doubleValue(), 1e-6, "k=" + k);
        }
    }

    @Test
    void rejectsHeadsThatStraddleChains() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ChainAttention(new ParameterSet(),
                "attn", Chains.of(2, 6), 2, SEQ, 10_000, false, Initializer.constant(0f), Initializer.constant(0f)));
        assertTrue(e.getMessage().contains("chain 0 of Chains[2, 6] has size 2, not a whole number of heads of size 4"),
                e.getMessage());
    }
}
