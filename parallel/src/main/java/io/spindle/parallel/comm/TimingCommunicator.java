package io.spindle.parallel.comm;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A {@link Communicator} that passes every collective to another one and adds up, per kind of
 * collective, the calls, the wall time spent inside them and the bytes they covered. The wall time
 * includes waiting for the slowest peer to arrive, so for a tensor-parallel rank it is what the
 * step loses to communication and imbalance together, which is what a step-time comparison needs.
 *
 * <p>Bytes are those of the whole float32 buffer the collective works on, the same on every rank:
 * {@code buf} of an all-reduce or broadcast, {@code in} of a reduce-scatter, {@code out} of an
 * all-gather, none for a barrier. What a ring link carries follows from it (an all-reduce over n
 * ranks sends 2(n−1)/n of it per rank, as float32 or, with {@link WirePrecision#BFLOAT16}, half).
 *
 * <p>Like the communicator it wraps it belongs to one rank's thread; read {@link #totals()} there
 * (or after that thread has finished). Only collectives that completed are counted.
 */
public final class TimingCommunicator implements Communicator {
    /** Calls, nanoseconds inside them and bytes covered by one kind of collective. */
    public record Totals(long calls, long nanos, long bytes) {
        public static final Totals NONE = new Totals(0, 0, 0);

        Totals plus(long nanos, long bytes) {
            return new Totals(calls + 1, this.nanos + nanos, this.bytes + bytes);
        }

        public Totals plus(Totals other) {
            return new Totals(calls + other.calls, nanos + other.nanos, bytes + other.bytes);
        }

        /** What happened between an {@code earlier} reading of the same counter and this one. */
        public Totals minus(Totals earlier) {
            return new Totals(calls - earlier.calls, nanos - earlier.nanos, bytes - earlier.bytes);
        }
    }

    /** Keys of {@link #totals()}: the {@link Communicator} method names. */
    public static final String ALL_REDUCE = "allReduce";
    public static final String REDUCE_SCATTER = "reduceScatter";
    public static final String ALL_GATHER = "allGather";
    public static final String BROADCAST = "broadcast";
    public static final String BARRIER = "barrier";

    private final Communicator inner;
    private final Map<String, Totals> totals = new LinkedHashMap<>();

    /** @param inner the communicator that does the work; closing this one closes it */
    public TimingCommunicator(Communicator inner) {
        if (inner == null) throw new IllegalArgumentException("inner is null; pass the communicator to time");
        this.inner = inner;
        for (String op : new String[] {ALL_REDUCE, REDUCE_SCATTER, ALL_GATHER, BROADCAST, BARRIER}) {
            totals.put(op, Totals.NONE);
        }
    }

    /** Per collective kind (every key, in the interface's order), since this communicator was made. */
    public Map<String, Totals> totals() {
        return Collections.unmodifiableMap(new LinkedHashMap<>(totals));
    }

    /** All kinds together. */
    public Totals total() {
        Totals sum = Totals.NONE;
        for (Totals t : totals.values()) sum = sum.plus(t);
        return sum;
    }

    @Override
    public int rank() {
        return inner.rank();
    }

    @Override
    public int size() {
        return inner.size();
    }

    @Override
    public void allReduce(INDArray buf, ReduceOp op, WirePrecision wire) {
        long start = System.nanoTime();
        inner.allReduce(buf, op, wire);
        add(ALL_REDUCE, start, bytes(buf));
    }

    @Override
    public void reduceScatter(INDArray in, INDArray out, ReduceOp op) {
        long start = System.nanoTime();
        inner.reduceScatter(in, out, op);
        add(REDUCE_SCATTER, start, bytes(in));
    }

    @Override
    public void allGather(INDArray in, INDArray out) {
        long start = System.nanoTime();
        inner.allGather(in, out);
        add(ALL_GATHER, start, bytes(out));
    }

    @Override
    public void broadcast(INDArray buf, int root) {
        long start = System.nanoTime();
        inner.broadcast(buf, root);
        add(BROADCAST, start, bytes(buf));
    }

    @Override
    public void barrier() {
        long start = System.nanoTime();
        inner.barrier();
        add(BARRIER, start, 0);
    }

    private void add(String op, long start, long bytes) {
        long nanos = System.nanoTime() - start;
        totals.put(op, totals.get(op).plus(nanos, bytes));
    }

    private static long bytes(INDArray buf) {
        return buf.length() * Float.BYTES;
    }

    @Override
    public void close() {
        inner.close();
    }
}
