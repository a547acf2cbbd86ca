package io.spindle.parallel.train;

import io.spindle.optim.ForwardingOptimizer;
import io.spindle.optim.Optimizer;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Map;

/** An optimizer whose state can only be streamed: gathering it in memory (as a map) fails the test. */
public final class StreamOnlyOptimizer extends ForwardingOptimizer {
    public StreamOnlyOptimizer(Optimizer inner) {
        super(inner);
    }

    @Override
    public Map<String, INDArray> state() {
        throw new AssertionError("the checkpoint gathered the optimizer state in memory");
    }

    @Override
    public void loadState(Map<String, INDArray> state) {
        throw new AssertionError("the resume gathered the optimizer state in memory");
    }
}
