package io.spindle.bench;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Candidate (b) must really train Spindle's block inside DL4J, or ADR 0001 would time a graph
 * whose blocks sit still: DL4J's updates have to reach the block's own parameters, and fitting
 * one batch repeatedly has to drive its loss down.
 */
class GraphLmTest {
    private static final LmShape SHAPE = new LmShape(258, 32, 2, 1, 64, 16, 2);

    @Test
    void dl4jUpdatesReachTheSpindleBlockAndTheLossFalls() {
        GraphLm model = new GraphLm(SHAPE, 3, 1e-2);
        ModuleLayer block = (ModuleLayer) model.network().getLayer("block0");
        assertEquals(BlockModule.parameterCount(SHAPE.toModelConfig("test")), block.numParams());
        int[][] batch = new TokenBatches(SHAPE.vocab(), SHAPE.seq(), SHAPE.batch(), 5).next();

        double first = model.step(batch[0], batch[1]);
        INDArray afterFirst = block.module().parameters().values().dup();
        double last = first;
        for (int i = 0; i < 40; i++) last = model.step(batch[0], batch[1]);

        assertEquals(Math.log(SHAPE.vocab()), first, 0.1, "initial loss should be about ln(vocab)");
        assertTrue(last < first - 1.0, "loss should fall when one batch is fitted repeatedly: " + first + " -> " + last);
        assertNotEquals(afterFirst, block.module().parameters().values(),
                "the block's parameters must follow DL4J's updates");
    }
}
