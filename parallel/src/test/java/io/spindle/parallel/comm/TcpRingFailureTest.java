package io.spindle.parallel.comm;

import io.spindle.parallel.net.SecretHandshake;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Authentication, dead and stalled peers, mismatched calls: each fails loudly, in bounded time. */
class TcpRingFailureTest {
    private static final CommConfig FAST_FAIL = CommConfig.defaults().withChunkBytes(4096)
            .withTimeouts(Duration.ofMillis(1500), Duration.ofSeconds(5));
    /** 16 MiB: far more than loopback socket buffers hold, so a collective is in flight when a peer goes. */
    private static final int LARGE = 4 << 20;

    @Test
    void ranksWithDifferentSecretsRefuseEachOther() throws Exception {
        List<ServerSocketChannel> listeners = RankThreads.listeners(2);
        List<InetSocketAddress> peers = RankThreads.addresses(listeners);
        List<byte[]> secrets = List.of(SecretHandshake.newSecret(), SecretHandshake.newSecret());
        List<RankThreads.Outcome<Communicator>> outcomes = RankThreads.run(2, 30,
                r -> TcpRingCommunicator.connect(r, peers, listeners.get(r), secrets.get(r), FAST_FAIL));
        boolean someRankRefusedTheSecret = false;
        for (int r = 0; r < 2; r++) {
            Throwable error = outcomes.get(r).error();
            assertTrue(error instanceof CommunicatorException, "rank " + r + " joined a ring with a foreign secret: " + error);
            someRankRefusedTheSecret |= error.getMessage().contains("job secret");
        }
        assertTrue(someRankRefusedTheSecret, "no rank reported the secret mismatch");
        for (ServerSocketChannel l : listeners) assertTrue(!l.isOpen(), "connect must close the listener it owns");
    }

    @Test
    void aStrangerIsRefusedAndTheRingStillForms() throws Exception {
        List<ServerSocketChannel> listeners = RankThreads.listeners(2);
        List<InetSocketAddress> peers = RankThreads.addresses(listeners);
        byte[] secret = SecretHandshake.newSecret();
        List<RankThreads.Outcome<Communicator>> outcomes = RankThreads.run(3, 30, r -> {
            if (r == 2) {
                try (SocketChannel stranger = SocketChannel.open(peers.get(0))) {
                    stranger.socket().setSoTimeout(5000);
                    assertThrows(SecretHandshake.HandshakeException.class,
                            () -> SecretHandshake.answer(stranger.socket(), SecretHandshake.newSecret(), "spindle-ring 1->0 of 2"));
                }
                return null;
            }
            if (r == 1) Thread.sleep(300); // let the stranger reach rank 0's listener first
            return TcpRingCommunicator.connect(r, peers, listeners.get(r), secret, FAST_FAIL);
        });
        List<Communicator> values = RankThreads.values(outcomes);
        List<Communicator> ring = values.subList(0, 2);
        try {
            List<Float> sums = RankThreads.all(2, r -> {
                INDArray x = Nd4j.createFromArray(new float[] {r + 1f});
                ring.get(r).allReduce(x, ReduceOp.SUM);
                return x.getFloat(0);
            });
            assertEquals(List.of(3f, 3f), sums);
        } finally {
            RankThreads.closeAll(ring);
        }
    }

    @Test
    void aPeerThatClosesMidCollectiveIsNamedWithinTheTimeout() throws Exception {
        List<ServerSocketChannel> listeners = RankThreads.listeners(2);
        InetSocketAddress dead = RankThreads.addresses(listeners).get(1);
        List<Communicator> ring = RankThreads.tcpRing(listeners, FAST_FAIL);
        List<RankThreads.Outcome<Object>> outcomes = RankThreads.run(2, 30, r -> {
            if (r == 1) {
                Thread.sleep(200);
                ring.get(1).close();
                return null;
            }
            ring.get(0).allReduce(Nd4j.ones(DataType.FLOAT, LARGE), ReduceOp.SUM);
            return null;
        });
        Throwable error = outcomes.get(0).error();
        assertTrue(error instanceof CommunicatorException, "rank 0 did not fail: " + error);
        assertTrue(error.getMessage().contains("rank 1 at " + dead.getHostString() + ":" + dead.getPort()), error.getMessage());
        assertTrue(outcomes.get(0).millis() < 200 + FAST_FAIL.ioTimeout().toMillis() + 1000, "took " + outcomes.get(0).millis() + " ms");
        RankThreads.closeAll(ring);
    }

    @Test
    void aStalledPeerIsNamedOnEveryRankAfterTheTimeoutNotAHang() throws Exception {
        List<ServerSocketChannel> listeners = RankThreads.listeners(3);
        InetSocketAddress stalled = RankThreads.addresses(listeners).get(2);
        List<Communicator> ring = RankThreads.tcpRing(listeners, FAST_FAIL);
        long timeoutMs = FAST_FAIL.ioTimeout().toMillis();
        List<RankThreads.Outcome<Long>> outcomes = RankThreads.run(3, 30, r -> {
            if (r == 2) {
                Thread.sleep(timeoutMs + 1500); // alive and connected, but silent past the others' timeout
                long start = System.nanoTime();
                try {
                    ring.get(2).allReduce(Nd4j.ones(DataType.FLOAT, 1000), ReduceOp.SUM);
                } catch (CommunicatorException late) {
                    return (System.nanoTime() - start) / 1_000_000;
                }
                throw new AssertionError("the late rank completed an all-reduce that its peers abandoned");
            }
            ring.get(r).allReduce(Nd4j.ones(DataType.FLOAT, 1000), ReduceOp.SUM);
            return null;
        });
        String culprit = "rank 2 at " + stalled.getHostString() + ":" + stalled.getPort();
        for (int r = 0; r < 2; r++) {
            Throwable error = outcomes.get(r).error();
            assertTrue(error instanceof CommunicatorException, "rank " + r + " did not fail: " + error);
            assertTrue(outcomes.get(r).millis() < timeoutMs + 1000, "rank " + r + " took " + outcomes.get(r).millis() + " ms");
            // rank 0 waits on rank 2 directly; rank 1 learns it from rank 0's ABORT frame
            assertTrue(error.getMessage().contains(culprit) && error.getMessage().contains("ioTimeout"), error.getMessage());
        }
        assertTrue(outcomes.get(2).error() == null, String.valueOf(outcomes.get(2).error()));
        assertTrue(outcomes.get(2).value() < 1000, "the late rank needed " + outcomes.get(2).value() + " ms to notice");
        RankThreads.closeAll(ring);
    }

    @Test
    void differentCollectivesOnTwoRanksFailInsteadOfMixingData() throws Exception {
        // a long timeout: the mismatch must be detected from the frame header, not by waiting
        List<Communicator> ring = RankThreads.tcpRing(2, FAST_FAIL.withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(10)));
        List<RankThreads.Outcome<Object>> outcomes = RankThreads.run(2, 30, r -> {
            if (r == 0) {
                ring.get(0).allReduce(Nd4j.ones(DataType.FLOAT, 10), ReduceOp.SUM);
            } else {
                ring.get(1).allGather(Nd4j.ones(DataType.FLOAT, 5), Nd4j.zeros(DataType.FLOAT, 10));
            }
            return null;
        });
        for (int r = 0; r < 2; r++) {
            Throwable error = outcomes.get(r).error();
            assertTrue(error instanceof CommunicatorException, "rank " + r + " did not fail: " + error);
        }
        String messages = outcomes.get(0).error().getMessage() + " | " + outcomes.get(1).error().getMessage();
        assertTrue(messages.contains("called different collectives"), messages);
        assertTrue(outcomes.get(0).millis() < 5000 && outcomes.get(1).millis() < 5000, messages);
        RankThreads.closeAll(ring);
    }

    @Test
    void closeReleasesTheRingAndLaterCallsFailAtOnce() throws Exception {
        List<ServerSocketChannel> listeners = RankThreads.listeners(2);
        InetSocketAddress closedRank = RankThreads.addresses(listeners).get(0);
        List<Communicator> ring = RankThreads.tcpRing(listeners, FAST_FAIL.withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(5)));
        for (ServerSocketChannel l : listeners) assertTrue(!l.isOpen(), "connect must close the listener it owns");
        ring.get(0).close();
        CommunicatorException own = assertThrows(CommunicatorException.class, () -> ring.get(0).barrier());
        assertTrue(own.getMessage().contains("closed"), own.getMessage());
        long start = System.nanoTime();
        CommunicatorException peer = assertThrows(CommunicatorException.class, () -> ring.get(1).barrier());
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis < 2000, "the peer of a closed rank waited " + millis + " ms");
        assertTrue(peer.getMessage().contains("rank 0 at " + closedRank.getHostString() + ":" + closedRank.getPort()), peer.getMessage());
        ring.get(1).close();
    }
}
