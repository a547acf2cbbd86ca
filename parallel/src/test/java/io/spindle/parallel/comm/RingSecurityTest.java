package io.spindle.parallel.comm;

import io.spindle.parallel.net.SecretHandshake;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ring's defences against what the network may send (issue 11, "Security"): it listens on the
 * rank's own address, refuses a raw client that sends garbage or answers the challenge with the
 * wrong secret (and still forms), and refuses a frame larger than the collective expects from a
 * peer that does know the secret, before reading its payload.
 */
@Tag("security")
class RingSecurityTest {
    private static final CommConfig FAST_FAIL = CommConfig.defaults().withChunkBytes(4096)
            .withTimeouts(Duration.ofMillis(3000), Duration.ofSeconds(10));

    @Test
    void theListenerBindsTheAdvertisedAddressOnlyNotEveryInterface() throws IOException {
        try (ServerSocketChannel listener = TcpRingCommunicator.listen("127.0.0.1")) {
            InetSocketAddress bound = (InetSocketAddress) listener.getLocalAddress();
            assertFalse(bound.getAddress().isAnyLocalAddress(), "bound to " + bound);
            assertEquals("127.0.0.1", bound.getAddress().getHostAddress());
            assertTrue(bound.getPort() > 0);
        }
    }

    @Test
    void garbageAndAWrongHmacAreRefusedAndTheRingStillForms() throws Exception {
        ServerSocketChannel l0 = TcpRingCommunicator.listen("127.0.0.1");
        ServerSocketChannel l1 = TcpRingCommunicator.listen("127.0.0.1");
        List<InetSocketAddress> peers = addresses(l0, l1);
        byte[] secret = SecretHandshake.newSecret();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<TcpRingCommunicator> rank0 = pool.submit(() -> TcpRingCommunicator.connect(0, peers, l0, secret, FAST_FAIL));

            // a raw client that sends 32 random bytes (an answer's length) instead of the HMAC: challenge, refusal byte 0, closed
            try (Socket garbage = new Socket()) {
                garbage.connect(peers.get(0), 5000);
                garbage.setSoTimeout(5000);
                byte[] noise = new byte[32];
                new SecureRandom().nextBytes(noise);
                garbage.getOutputStream().write(noise);
                garbage.getOutputStream().flush();
                byte[] reply = readToEnd(garbage.getInputStream());
                assertEquals(8 + 32 + 1, reply.length, "magic, challenge, verdict, then the connection is closed");
                assertEquals(0, reply[reply.length - 1], "the verdict refuses");
            }
            // a client that speaks the protocol but holds another secret
            try (Socket impostor = new Socket()) {
                impostor.connect(peers.get(0), 5000);
                impostor.setSoTimeout(5000);
                SecretHandshake.HandshakeException refused = assertThrows(SecretHandshake.HandshakeException.class,
                        () -> SecretHandshake.answer(impostor, SecretHandshake.newSecret(), "spindle-ring 1->0 of 2"));
                assertTrue(refused.getMessage().contains("refused this job's secret"), refused.getMessage());
            }

            TcpRingCommunicator rank1 = TcpRingCommunicator.connect(1, peers, l1, secret, FAST_FAIL);
            try (TcpRingCommunicator r0 = rank0.get(30, TimeUnit.SECONDS); rank1) {
                INDArray a = Nd4j.createFromArray(1f, 2f);
                INDArray b = Nd4j.createFromArray(10f, 20f);
                CompletableFuture<Void> other = CompletableFuture.runAsync(() -> rank1.allReduce(b, ReduceOp.SUM), pool);
                r0.allReduce(a, ReduceOp.SUM);
                other.get(30, TimeUnit.SECONDS);
                assertArrayEquals(new float[] {11f, 22f}, a.toFloatVector());
                assertArrayEquals(new float[] {11f, 22f}, b.toFloatVector());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aFrameLargerThanTheCollectiveExpectsIsRefusedBeforeItsPayloadIsRead() throws Exception {
        ServerSocketChannel l0 = TcpRingCommunicator.listen("127.0.0.1");
        ServerSocketChannel l1 = TcpRingCommunicator.listen("127.0.0.1");
        List<InetSocketAddress> peers = addresses(l0, l1);
        byte[] secret = SecretHandshake.newSecret();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (l1) {
            Future<TcpRingCommunicator> rank0 = pool.submit(() -> TcpRingCommunicator.connect(0, peers, l0, secret, FAST_FAIL));
            // rank 1 is played by hand: it knows the secret, so it passes both handshakes
            Future<SocketChannel> fromRank0 = pool.submit(() -> {
                SocketChannel c = l1.accept();
                SecretHandshake.challenge(c.socket(), secret, "spindle-ring 0->1 of 2");
                SecretHandshake.answer(c.socket(), secret, "spindle-ring 0->1 of 2 accepted");
                return c;
            });
            try (SocketChannel toRank0 = SocketChannel.open(peers.get(0))) {
                SecretHandshake.answer(toRank0.socket(), secret, "spindle-ring 1->0 of 2");
                SecretHandshake.challenge(toRank0.socket(), secret, "spindle-ring 1->0 of 2 accepted");
                try (SocketChannel unused = fromRank0.get(30, TimeUnit.SECONDS);
                     TcpRingCommunicator r0 = rank0.get(30, TimeUnit.SECONDS)) {
                    // a header announcing 2 GiB of payload for a 2-element all-reduce, and no payload at all
                    ByteBuffer header = ByteBuffer.allocate(RingLinks.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
                    header.putInt(CollectiveOp.ALL_REDUCE.id).putInt(0).putInt(0).putInt(Integer.MAX_VALUE).flip();
                    while (header.hasRemaining()) toRank0.write(header);
                    long start = System.nanoTime();
                    CommunicatorException e = assertThrows(CommunicatorException.class,
                            () -> r0.allReduce(Nd4j.createFromArray(1f, 2f), ReduceOp.SUM));
                    long ms = (System.nanoTime() - start) / 1_000_000;
                    assertTrue(e.getMessage().contains("rank 1 at 127.0.0.1:") && e.getMessage().contains("2147483647 bytes"),
                            e.getMessage());
                    assertTrue(ms < FAST_FAIL.ioTimeout().toMillis(), "refused at once, not after waiting for the payload: "
                            + ms + " ms");
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static List<InetSocketAddress> addresses(ServerSocketChannel... listeners) throws IOException {
        List<InetSocketAddress> out = new java.util.ArrayList<>();
        for (ServerSocketChannel l : listeners) out.add((InetSocketAddress) l.getLocalAddress());
        return out;
    }

    private static byte[] readToEnd(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[256];
        for (int n; (n = in.read(buffer)) > 0; ) out.write(buffer, 0, n);
        return out.toByteArray();
    }
}
