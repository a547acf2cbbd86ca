package io.spindle.parallel.comm;

import java.nio.FloatBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A rendezvous for ranks that are threads of one JVM, used by tests and by single-process runs.
 * Each collective is two barrier crossings: every rank posts its contribution, crosses, computes its
 * own result from all contributions, crosses again, and only then writes its buffer (so no rank
 * overwrites an input another rank is still reading).
 */
public final class InProcessGroup {
    /** One rank's posting for the collective in progress. */
    record Contribution(CollectiveOp op, int sequence, FloatBuffer data, ReduceOp reduceOp, WirePrecision wire, int root) {
        boolean sameCallAs(Contribution other) {
            return op == other.op && sequence == other.sequence && data.capacity() == other.data.capacity()
                    && reduceOp == other.reduceOp && wire == other.wire && root == other.root;
        }
    }

    private final int size;
    private final Duration timeout;
    private final CyclicBarrier barrier;
    private final Contribution[] posted;
    private volatile String failure;

    private InProcessGroup(int size, Duration timeout) {
        this.size = size;
        this.timeout = timeout;
        this.barrier = new CyclicBarrier(size);
        this.posted = new Contribution[size];
    }

    /** n communicators, one per rank, that wait at most 60 s for each other. */
    public static List<Communicator> create(int n) {
        return create(n, Duration.ofSeconds(60));
    }

    /** n communicators, one per rank; a rank that waits longer than {@code timeout} for the others fails. */
    public static List<Communicator> create(int n, Duration timeout) {
        if (n < 1) throw new IllegalArgumentException("group size n=" + n + " must be at least 1");
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout=" + timeout + " must be a positive duration");
        }
        InProcessGroup group = new InProcessGroup(n, timeout);
        List<Communicator> ranks = new ArrayList<>(n);
        for (int r = 0; r < n; r++) ranks.add(new InProcessCommunicator(group, r));
        return List.copyOf(ranks);
    }

    int size() {
        return size;
    }

    /** Posts this rank's contribution and returns everyone's, after checking they made the same call. */
    Contribution[] exchange(int rank, Contribution mine) {
        posted[rank] = mine;
        await(rank, mine);
        Contribution[] all = posted.clone();
        for (int q = 0; q < size; q++) {
            if (!all[q].sameCallAs(mine)) {
                throw new CommunicatorException("rank " + rank + " of " + size + ": called " + describe(mine)
                        + " but rank " + q + " called " + describe(all[q]));
            }
        }
        return all;
    }

    /** The second crossing: every rank has read the inputs it needs and may now write its buffer. */
    void finishReading(int rank, Contribution mine) {
        await(rank, mine);
    }

    void leave(int rank) {
        if (failure == null) failure = "rank " + rank + " of " + size + " closed its communicator";
        // breaks the barrier for ranks already waiting, so they fail now rather than at the timeout
        barrier.reset();
    }

    private void await(int rank, Contribution mine) {
        if (failure != null) throw new CommunicatorException("rank " + rank + ", " + describe(mine) + ": " + failure);
        try {
            barrier.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            String missing = missingRanks(mine);
            failure = missing + " did not reach " + describe(mine) + " within " + timeout.toMillis() + " ms";
            throw new CommunicatorException("rank " + rank + ": " + failure, e);
        } catch (BrokenBarrierException e) {
            // a rank that timed out breaks the barrier before it can record why; the posted slots tell
            String reason = failure != null ? failure
                    : missingRanks(mine) + " did not reach " + describe(mine) + " within " + timeout.toMillis() + " ms";
            throw new CommunicatorException("rank " + rank + ", " + describe(mine) + ": " + reason, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure = "rank " + rank + " was interrupted in " + describe(mine);
            barrier.reset();
            throw new CommunicatorException(failure, e);
        }
    }

    private String missingRanks(Contribution mine) {
        List<Integer> missing = new ArrayList<>();
        for (int q = 0; q < size; q++) {
            Contribution c = posted[q];
            if (c == null || c.sequence() < mine.sequence()) missing.add(q);
        }
        return missing.isEmpty() ? "some rank" : "rank(s) " + missing;
    }

    private static String describe(Contribution c) {
        return c.op() + " #" + c.sequence() + " of " + c.data().capacity() + " elements";
    }
}
