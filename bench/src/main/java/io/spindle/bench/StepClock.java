package io.spindle.bench;

import io.spindle.optim.Optimizer;
import io.spindle.optim.ParamSlot;
import io.spindle.optim.state.TensorSource;
import io.spindle.parallel.comm.TimingCommunicator;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.PrintStream;
import java.util.List;
import java.util.Map;

/**
 * An {@link Optimizer} that times the steps of the {@code RankTrainer} driving it, on every rank, and
 * otherwise passes everything to the real optimizer. The trainer calls {@link #prefetch()} at the
 * start of each step (right after drawing the batch) and {@link #step} at its end, on every rank
 * (its metrics, which carry {@code step_ms}, come from rank 0 only); so the span from one to the
 * other is the step's forward, backward, clipping and update, and the {@link TimingCommunicator}'s
 * totals read at both ends are the collectives inside that span.
 *
 * <p>Prints one line per step: {@code STEP index wallNanos op=calls,nanos,bytes ...} with an entry
 * for each kind of collective the step called.
 */
final class StepClock implements Optimizer {
    private final Optimizer inner;
    private final TimingCommunicator comm;
    private final PrintStream out;
    private long index;
    private long start;
    private Map<String, TimingCommunicator.Totals> before;

    /** @param comm the TP group's communicator, as the trainer's {@code TensorParallel} uses it */
    StepClock(Optimizer inner, TimingCommunicator comm, PrintStream out) {
        this.inner = inner;
        this.comm = comm;
        this.out = out;
    }

    @Override
    public void prefetch() {
        before = comm.totals();
        start = System.nanoTime();
        inner.prefetch();
    }

    @Override
    public void step(List<ParamSlot> params, double lr) {
        if (before == null) throw new IllegalStateException("step() without prefetch(): the trainer no longer marks a step's start");
        inner.step(params, lr);
        long wall = System.nanoTime() - start;
        StringBuilder line = new StringBuilder("STEP ").append(index++).append(' ').append(wall);
        for (Map.Entry<String, TimingCommunicator.Totals> e : comm.totals().entrySet()) {
            TimingCommunicator.Totals t = e.getValue().minus(before.get(e.getKey()));
            if (t.calls() > 0) line.append(' ').append(e.getKey()).append('=').append(t.calls()).append(',')
                    .append(t.nanos()).append(',').append(t.bytes());
        }
        out.println(line);
        before = null;
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
    public void close() {
        inner.close();
    }
}
