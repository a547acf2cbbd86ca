package io.spindle.parallel.comm;

import java.util.ArrayList;
import java.util.List;

/**
 * What one rank sends to its successor and receives from its predecessor during one collective, as
 * ordered steps over element ranges of a work buffer. A send step may depend on a receive step over
 * the same range (the data it forwards); the transfer then sends chunk k as soon as chunk k has
 * arrived, which pipelines the ring instead of waiting for whole segments.
 */
final class RingSchedule {
    /** What a receive step does with the arriving elements. */
    enum Action { COPY, REDUCE, REDUCE_AND_FINISH }

    /**
     * @param dependsOn for a send step, the receive step whose chunks it forwards, or -1
     */
    record Step(int start, int length, Action action, int dependsOn) {}

    final CollectiveOp op;
    final ReduceOp reduceOp;
    final WirePrecision wire;
    final int worldSize;
    final List<Step> sends = new ArrayList<>();
    final List<Step> receives = new ArrayList<>();

    private RingSchedule(CollectiveOp op, ReduceOp reduceOp, WirePrecision wire, int worldSize) {
        this.op = op;
        this.reduceOp = reduceOp;
        this.wire = wire;
        this.worldSize = worldSize;
    }

    /**
     * Ring reduce-scatter: at step s rank r sends segment r−s−1 and reduces the arriving segment
     * r−s−2 into its own, so after n−1 steps it holds the full sum of segment r (order: RingPlan).
     * With {@code gather}, n−1 all-gather steps follow: rank r sends segment r−s, copies r−s−1.
     */
    static RingSchedule reduce(CollectiveOp op, int[] bounds, int rank, ReduceOp reduceOp,
                               WirePrecision wire, boolean gather) {
        int n = bounds.length - 1;
        RingSchedule schedule = new RingSchedule(op, reduceOp, wire, n);
        for (int s = 0; s < n - 1; s++) {
            Action action = s == n - 2 ? Action.REDUCE_AND_FINISH : Action.REDUCE;
            schedule.add(bounds, RingPlan.mod(rank - s - 1, n), s - 1, RingPlan.mod(rank - s - 2, n), action);
        }
        if (gather) schedule.addGather(bounds, rank, n - 1);
        return schedule;
    }

    /** Ring all-gather of segments already in place: rank r starts by sending its own segment r. */
    static RingSchedule gather(int[] bounds, int rank) {
        RingSchedule schedule = new RingSchedule(CollectiveOp.ALL_GATHER, ReduceOp.SUM, WirePrecision.FLOAT32,
                bounds.length - 1);
        schedule.addGather(bounds, rank, 0);
        return schedule;
    }

    /** A chain root → root+1 → … → root−1: every rank but the root receives, every rank but root−1 forwards. */
    static RingSchedule broadcast(int length, int rank, int root, int n) {
        RingSchedule schedule = new RingSchedule(CollectiveOp.BROADCAST, ReduceOp.SUM, WirePrecision.FLOAT32, n);
        int position = RingPlan.mod(rank - root, n);
        if (position > 0) schedule.receives.add(new Step(0, length, Action.COPY, -1));
        if (position < n - 1) schedule.sends.add(new Step(0, length, null, position > 0 ? 0 : -1));
        return schedule;
    }

    private void addGather(int[] bounds, int rank, int firstStep) {
        int n = bounds.length - 1;
        for (int s = 0; s < n - 1; s++) {
            int dependsOn = firstStep + s - 1;
            add(bounds, RingPlan.mod(rank - s, n), dependsOn, RingPlan.mod(rank - s - 1, n), Action.COPY);
        }
    }

    private void add(int[] bounds, int sendSegment, int dependsOn, int receiveSegment, Action action) {
        sends.add(new Step(bounds[sendSegment], bounds[sendSegment + 1] - bounds[sendSegment], null, dependsOn));
        receives.add(new Step(bounds[receiveSegment], bounds[receiveSegment + 1] - bounds[receiveSegment], action, -1));
    }

    /** Chunks a step of the given length is cut into; an empty step still sends one empty message so
     * that every rank hears from its predecessor at every step (which makes a 1-element all-reduce a barrier). */
    static int chunks(int length, int chunkElements) {
        return Math.max(1, (length + chunkElements - 1) / chunkElements);
    }
}
