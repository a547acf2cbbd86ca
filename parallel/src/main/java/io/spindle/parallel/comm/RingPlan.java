package io.spindle.parallel.comm;

import java.nio.FloatBuffer;

/**
 * The arithmetic both communicators share, so that TCP and in-process results are bit-identical:
 * how a buffer is cut into one segment per rank, in which order the ranks' values are summed, and
 * how a reduced value is finished (AVG division, bf16 rounding).
 *
 * <p>A ring reduce-scatter starts segment j at rank j+1 and lets the partial sum travel
 * j+1 → j+2 → … → j, so segment j is summed in that rotated rank order. Float addition is
 * commutative but not associative; fixing this order is what makes results reproducible.
 */
final class RingPlan {
    private RingPlan() {}

    /** Boundaries of n nearly equal segments of a buffer of the given length: segment i is [b[i], b[i+1]). */
    static int[] balanced(int length, int n) {
        int[] bounds = new int[n + 1];
        for (int i = 0; i <= n; i++) bounds[i] = (int) ((long) i * length / n);
        return bounds;
    }

    /** Boundaries of n segments of exactly k elements each. */
    static int[] equal(int k, int n) {
        int[] bounds = new int[n + 1];
        for (int i = 0; i <= n; i++) bounds[i] = i * k;
        return bounds;
    }

    /** The rank whose value of segment {@code segment} enters the sum at position {@code position}. */
    static int sumOrder(int segment, int position, int n) {
        return (segment + 1 + position) % n;
    }

    /** A partial sum as the next rank receives it: bf16 transport rounds it at every hop of the ring. */
    static float hop(float partial, WirePrecision wire) {
        return wire == WirePrecision.BFLOAT16 ? Bf16.round(partial) : partial;
    }

    /** Applies AVG and the final wire rounding to elements [from, to) of a fully reduced buffer. */
    static void finish(FloatBuffer buf, int from, int to, ReduceOp op, int n, WirePrecision wire) {
        if (!changesOnFinish(op, wire)) return;
        for (int i = from; i < to; i++) buf.put(i, finished(buf.get(i), op, n, wire));
    }

    /** Whether {@link #finished} can change a value: not for a float32 SUM. */
    static boolean changesOnFinish(ReduceOp op, WirePrecision wire) {
        return op != ReduceOp.SUM || wire != WirePrecision.FLOAT32;
    }

    /** A fully reduced value as every rank ends with it: divided by n for AVG, rounded to bf16 if the wire is. */
    static float finished(float sum, ReduceOp op, int n, WirePrecision wire) {
        float v = op == ReduceOp.AVG ? sum / n : sum;
        return wire == WirePrecision.BFLOAT16 ? Bf16.round(v) : v;
    }

    static int mod(int a, int n) {
        return ((a % n) + n) % n;
    }
}
