package io.spindle.bench;

import io.spindle.optim.ForwardingOptimizer;
import io.spindle.optim.Optimizer;
import io.spindle.optim.ParamSlot;
import io.spindle.parallel.comm.TimingCommunicator;

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
final class StepClock extends ForwardingOptimizer {
    private final TimingCommunicator comm;
    private final PrintStream out;
    private long index;
    private long start;
    private Map<String, TimingCommunicator.Totals> before;

    /** @param comm the TP group's communicator, as the trainer's {@code TensorParallel} uses it */
    StepClock(Optimizer inner, TimingCommunicator comm, PrintStream out) {
        super(inner);
        this.comm = comm;
        this.out = out;
    }

    @Override
    public void prefetch() {
        before = comm.totals();
        start = System.nanoTime();
        super.prefetch();
    }

    @Override
    public void step(List<ParamSlot> params, double lr) {
        requireStarted();
        super.step(params, lr);
        report();
    }

    @Override
    public void step(List<ParamSlot> params, double lr, long runStep) {
        // forwarded as the 3-argument call: group schedules read the run step
        requireStarted();
        super.step(params, lr, runStep);
        report();
    }

    private void requireStarted() {
        if (before == null) throw new IllegalStateException("step() without prefetch(): the trainer no longer marks a step's start");
    }

    private void report() {
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
}
