package io.spindle.parallel.train;

import io.spindle.optim.Optimizer;
import io.spindle.optim.ParamSlot;
import io.spindle.optim.state.TensorSource;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;
import java.util.Map;

/** An optimizer whose state can only be streamed: gathering it in memory (as a map) fails the test. */
public record StreamOnlyOptimizer(Optimizer inner) implements Optimizer {
    @Override
    public void step(List<ParamSlot> params, double lr) {
        inner.step(params, lr);
    }

    @Override
    public void step(List<ParamSlot> params, double lr, long runStep) {
        inner.step(params, lr, runStep);
    }

    @Override
    public long stepCount() {
        return inner.stepCount();
    }

    @Override
    public Map<String, INDArray> state() {
        throw new AssertionError("the checkpoint gathered the optimizer state in memory");
    }

    @Override
    public void loadState(Map<String, INDArray> state) {
        throw new AssertionError("the resume gathered the optimizer state in memory");
    }

    @Override
    public TensorSource stateSource() {
        return inner.stateSource();
    }

    @Override
    public void loadState(TensorSource state) {
        inner.loadState(state);
    }

    @Override
    public Map<String, INDArray> stateValues() {
        return inner.stateValues();
    }

    @Override
    public long stateBytes() {
        return inner.stateBytes();
    }

    @Override
    public void prefetch() {
        inner.prefetch();
    }

    @Override
    public void close() {
        inner.close();
    }
}
