package io.spindle.parallel.comm;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.lang.ref.Reference;
import java.nio.FloatBuffer;

/**
 * A rank of an {@link InProcessGroup}. Reductions follow the ring's summation order and per-hop
 * wire rounding ({@link RingPlan}), so results are bit-identical to {@link TcpRingCommunicator}'s.
 */
final class InProcessCommunicator implements Communicator {
    private final InProcessGroup group;
    private final int rank;
    private int sequence;
    private boolean closed;

    InProcessCommunicator(InProcessGroup group, int rank) {
        this.group = group;
        this.rank = rank;
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int size() {
        return group.size();
    }

    @Override
    public void allReduce(INDArray buf, ReduceOp op, WirePrecision wire) {
        FloatBuffer mine = FlatView.of(buf, "allReduce buf").window();
        InProcessGroup.Contribution call = post(CollectiveOp.ALL_REDUCE, mine, op, wire, -1);
        FloatBuffer[] inputs = inputs(group.exchange(rank, call));
        int n = size();
        int[] bounds = RingPlan.balanced(mine.capacity(), n);
        FloatBuffer result = FloatBuffer.allocate(mine.capacity());
        for (int segment = 0; segment < n; segment++) {
            reduceSegment(inputs, bounds[segment], bounds[segment + 1], segment, result, 0, wire);
            RingPlan.finish(result, bounds[segment], bounds[segment + 1], op, n, wire);
        }
        group.finishReading(rank, call);
        mine.put(result.clear());
        // The windows are direct buffers over the arrays' native memory that do not keep the arrays alive; a
        // caller's temporary (a dup it never reads again) could otherwise be collected and its memory
        // freed while the other ranks still read it. Every collective here fences its arrays so.
        Reference.reachabilityFence(buf);
    }

    @Override
    public void reduceScatter(INDArray in, INDArray out, ReduceOp op) {
        FloatBuffer input = FlatView.of(in, "reduceScatter in").window();
        FloatBuffer output = FlatView.of(out, "reduceScatter out").window();
        int k = Collectives.chunkOf(input.capacity(), output.capacity(), size(), "reduceScatter");
        InProcessGroup.Contribution call = post(CollectiveOp.REDUCE_SCATTER, input, op, WirePrecision.FLOAT32, -1);
        FloatBuffer[] inputs = inputs(group.exchange(rank, call));
        FloatBuffer result = FloatBuffer.allocate(k);
        reduceSegment(inputs, rank * k, rank * k + k, rank, result, -rank * k, WirePrecision.FLOAT32);
        RingPlan.finish(result, 0, k, op, size(), WirePrecision.FLOAT32);
        group.finishReading(rank, call);
        output.put(result.clear());
        Reference.reachabilityFence(in);
        Reference.reachabilityFence(out);
    }

    @Override
    public void allGather(INDArray in, INDArray out) {
        FloatBuffer input = FlatView.of(in, "allGather in").window();
        FloatBuffer output = FlatView.of(out, "allGather out").window();
        int k = Collectives.chunkOf(output.capacity(), input.capacity(), size(), "allGather");
        InProcessGroup.Contribution call = post(CollectiveOp.ALL_GATHER, input, ReduceOp.SUM, WirePrecision.FLOAT32, -1);
        FloatBuffer[] inputs = inputs(group.exchange(rank, call));
        FloatBuffer result = FloatBuffer.allocate(size() * k);
        for (FloatBuffer contribution : inputs) result.put(contribution.duplicate().clear());
        group.finishReading(rank, call);
        output.put(result.clear());
        Reference.reachabilityFence(in);
        Reference.reachabilityFence(out);
    }

    @Override
    public void broadcast(INDArray buf, int root) {
        Collectives.checkRoot(root, size());
        FloatBuffer mine = FlatView.of(buf, "broadcast buf").window();
        InProcessGroup.Contribution call = post(CollectiveOp.BROADCAST, mine, ReduceOp.SUM, WirePrecision.FLOAT32, root);
        FloatBuffer[] inputs = inputs(group.exchange(rank, call));
        FloatBuffer result = FloatBuffer.allocate(mine.capacity()).put(inputs[root].duplicate().clear());
        group.finishReading(rank, call);
        if (rank != root) mine.put(result.clear());
        Reference.reachabilityFence(buf);
    }

    @Override
    public void barrier() {
        InProcessGroup.Contribution call = post(CollectiveOp.BARRIER, FloatBuffer.allocate(0), ReduceOp.SUM,
                WirePrecision.FLOAT32, -1);
        group.exchange(rank, call);
        group.finishReading(rank, call);
    }

    /**
     * Sums elements [from, to) of all inputs in the ring's order for {@code segment}, rounding each
     * forwarded partial sum as the wire would, into {@code result} at index i + shift.
     */
    private void reduceSegment(FloatBuffer[] inputs, int from, int to, int segment, FloatBuffer result,
                               int shift, WirePrecision wire) {
        int n = inputs.length;
        for (int i = from; i < to; i++) {
            float acc = inputs[RingPlan.sumOrder(segment, 0, n)].get(i);
            for (int p = 1; p < n; p++) acc = RingPlan.hop(acc, wire) + inputs[RingPlan.sumOrder(segment, p, n)].get(i);
            result.put(i + shift, acc);
        }
    }

    private InProcessGroup.Contribution post(CollectiveOp op, FloatBuffer data, ReduceOp reduceOp,
                                             WirePrecision wire, int root) {
        if (closed) throw new CommunicatorException("rank " + rank + ": communicator is closed");
        return new InProcessGroup.Contribution(op, sequence++, data, reduceOp, wire, root);
    }

    private static FloatBuffer[] inputs(InProcessGroup.Contribution[] all) {
        FloatBuffer[] inputs = new FloatBuffer[all.length];
        for (int q = 0; q < all.length; q++) inputs[q] = all[q].data();
        return inputs;
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        group.leave(rank);
    }
}
