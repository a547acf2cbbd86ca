package io.spindle.optim;

import io.spindle.optim.state.TensorSource;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;
import java.util.Map;

/**
 * An {@link Optimizer} that passes every call to another one: the base of decorators (a step timer,
 * a test's optimizer that refuses to hand over its state as a map), which override only what they
 * change. Every method of {@link Optimizer}, defaults included, is forwarded, so a decorator never
 * falls back to a default that would bypass the real optimizer's own implementation.
 */
public abstract class ForwardingOptimizer implements Optimizer {
    private final Optimizer inner;

    protected ForwardingOptimizer(Optimizer inner) {
        if (inner == null) throw new IllegalArgumentException("the optimizer to forward to is null");
        this.inner = inner;
    }

    /** The optimizer calls are forwarded to. */
    protected final Optimizer inner() {
        return inner;
    }

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
        return inner.state();
    }

    @Override
    public void loadState(Map<String, INDArray> state) {
        inner.loadState(state);
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
