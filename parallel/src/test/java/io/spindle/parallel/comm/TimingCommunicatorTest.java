package io.spindle.parallel.comm;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** TimingCommunicator over the in-process group: results unchanged, calls and bytes counted, waits timed. */
class TimingCommunicatorTest {
    private static final long PEER_DELAY_MS = 600;

    private static List<TimingCommunicator> timed(int n) {
        return InProcessGroup.create(n, Duration.ofSeconds(20)).stream().map(TimingCommunicator::new).toList();
    }

    @Test
    void aCollectiveThatWaitsForASlowPeerCountsTheWait() throws Exception {
        List<TimingCommunicator> comms = timed(2);
        CountDownLatch rankZeroCalls = new CountDownLatch(1);
        List<Long> nanos = RankThreads.all(2, r -> {
            INDArray buf = Nd4j.ones(DataType.FLOAT, 16);
            if (r == 0) {
                rankZeroCalls.countDown();
            } else {
                // rank 1 arrives late: rank 0 is already inside its all-reduce, waiting
                assertTrue(rankZeroCalls.await(10, TimeUnit.SECONDS));
                Thread.sleep(PEER_DELAY_MS);
            }
            comms.get(r).allReduce(buf, ReduceOp.SUM);
            return comms.get(r).totals().get(TimingCommunicator.ALL_REDUCE).nanos();
        });
        double waitedMs = nanos.get(0) / 1e6;
        double lateMs = nanos.get(1) / 1e6;
        // rank 0 enters right after the latch, so nearly all of the peer's delay falls inside its call
        assertTrue(waitedMs >= PEER_DELAY_MS / 2.0, "rank 0 spent only " + waitedMs + " ms in the all-reduce");
        assertTrue(lateMs < waitedMs, "the late rank spent " + lateMs + " ms, the waiting one " + waitedMs + " ms");
        RankThreads.closeAll(comms);
    }

    @Test
    void countsCallsAndBytesPerCollectiveAndLeavesResultsUnchanged() throws Exception {
        List<TimingCommunicator> comms = timed(2);
        List<float[][]> results = RankThreads.all(2, r -> {
            TimingCommunicator c = comms.get(r);
            INDArray sum = Nd4j.createFromArray(1f + r, 2f + r, 3f + r);
            c.allReduce(sum, ReduceOp.SUM);
            c.allReduce(Nd4j.ones(DataType.FLOAT, 5), ReduceOp.AVG, WirePrecision.BFLOAT16);
            INDArray gathered = Nd4j.zeros(DataType.FLOAT, 4);
            c.allGather(Nd4j.createFromArray(10f * r, 10f * r + 1), gathered);
            INDArray scattered = Nd4j.zeros(DataType.FLOAT, 3);
            c.reduceScatter(Nd4j.createFromArray(1f, 2f, 3f, 4f, 5f, 6f), scattered, ReduceOp.SUM);
            INDArray root = r == 1 ? Nd4j.createFromArray(7f, 8f) : Nd4j.zeros(DataType.FLOAT, 2);
            c.broadcast(root, 1);
            c.barrier();
            return new float[][] {sum.toFloatVector(), gathered.toFloatVector(), scattered.toFloatVector(),
                    root.toFloatVector()};
        });
        for (int r = 0; r < 2; r++) {
            assertArrayEquals(new float[] {3f, 5f, 7f}, results.get(r)[0]);
            assertArrayEquals(new float[] {0f, 1f, 10f, 11f}, results.get(r)[1]);
            assertArrayEquals(r == 0 ? new float[] {2f, 4f, 6f} : new float[] {8f, 10f, 12f}, results.get(r)[2]);
            assertArrayEquals(new float[] {7f, 8f}, results.get(r)[3]);

            var totals = comms.get(r).totals();
            assertEquals(List.of(TimingCommunicator.ALL_REDUCE, TimingCommunicator.REDUCE_SCATTER,
                    TimingCommunicator.ALL_GATHER, TimingCommunicator.BROADCAST, TimingCommunicator.BARRIER),
                    List.copyOf(totals.keySet()));
            assertCounted(totals.get(TimingCommunicator.ALL_REDUCE), 2, (3 + 5) * 4);
            assertCounted(totals.get(TimingCommunicator.ALL_GATHER), 1, 4 * 4);
            assertCounted(totals.get(TimingCommunicator.REDUCE_SCATTER), 1, 6 * 4);
            assertCounted(totals.get(TimingCommunicator.BROADCAST), 1, 2 * 4);
            assertCounted(totals.get(TimingCommunicator.BARRIER), 1, 0);
            TimingCommunicator.Totals all = comms.get(r).total();
            assertEquals(6, all.calls());
            assertEquals((3 + 5 + 4 + 6 + 2) * 4, all.bytes());
            assertEquals(totals.values().stream().mapToLong(TimingCommunicator.Totals::nanos).sum(), all.nanos());
        }
        RankThreads.closeAll(comms);
    }

    @Test
    void differencesOfTwoReadingsGiveWhatHappenedBetweenThem() throws Exception {
        List<TimingCommunicator> comms = timed(2);
        List<TimingCommunicator.Totals> between = RankThreads.all(2, r -> {
            TimingCommunicator c = comms.get(r);
            c.allReduce(Nd4j.ones(DataType.FLOAT, 100), ReduceOp.SUM);
            TimingCommunicator.Totals before = c.total();
            c.allReduce(Nd4j.ones(DataType.FLOAT, 10), ReduceOp.SUM);
            c.barrier();
            return c.total().minus(before);
        });
        for (TimingCommunicator.Totals t : between) {
            assertEquals(2, t.calls());
            assertEquals(40, t.bytes());
            assertTrue(t.nanos() > 0);
        }
        RankThreads.closeAll(comms);
    }

    @Test
    void aFailedCollectiveIsNotCountedAndCloseReachesTheInnerCommunicator() {
        List<TimingCommunicator> comms = timed(2);
        comms.get(1).close();
        CommunicatorException closed = assertThrows(CommunicatorException.class, () -> comms.get(1).barrier());
        assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
        assertEquals(TimingCommunicator.Totals.NONE, comms.get(1).total());
        comms.get(0).close();
    }

    private static void assertCounted(TimingCommunicator.Totals t, long calls, long bytes) {
        assertEquals(calls, t.calls());
        assertEquals(bytes, t.bytes());
        assertTrue(t.nanos() > 0, "no time counted for " + t);
    }
}
