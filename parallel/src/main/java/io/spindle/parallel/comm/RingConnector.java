package io.spindle.parallel.comm;

import io.spindle.parallel.net.SecretHandshake;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Forms one rank's place in the ring: connects to the successor and accepts the predecessor, each
 * authenticated in both directions with {@link SecretHandshake}. The purpose string names the link
 * ("r->s of n"), so a connection meant for another link or ring size fails the handshake too.
 *
 * <p>Accepting runs on its own short-lived thread: every rank first dials its successor, and the
 * successor's challenge only comes once it accepts, so doing both in one thread would deadlock.
 */
final class RingConnector {
    private static final Logger LOG = LoggerFactory.getLogger(RingConnector.class);
    private static final long CONNECT_RETRY_MS = 20;

    private RingConnector() {}

    static RingLinks connect(int rank, List<InetSocketAddress> peers, ServerSocketChannel listener,
                             byte[] secret, CommConfig config) throws IOException {
        int n = peers.size();
        int succ = (rank + 1) % n;
        int pred = (rank + n - 1) % n;
        long deadline = System.nanoTime() + config.connectTimeout().toNanos();
        ExecutorService acceptor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "spindle-ring-accept-" + rank);
            t.setDaemon(true);
            return t;
        });
        SocketChannel next = null;
        SocketChannel prev = null;
        try {
            Future<SocketChannel> accepted = acceptor.submit(() -> acceptPredecessor(rank, pred, n, peers, listener, secret, deadline));
            next = dialSuccessor(rank, succ, n, peers.get(succ), secret, deadline);
            prev = await(accepted, rank, pred, peers, deadline);
            RingLinks links = new RingLinks(rank, n, next, peers.get(succ), prev, peers.get(pred), config);
            LOG.debug("rank {} of {} joined the ring: successor {}, predecessor {}", rank, n, peers.get(succ), peers.get(pred));
            return links;
        } catch (IOException | RuntimeException e) {
            closeQuietly(next);
            closeQuietly(prev);
            throw e;
        } finally {
            acceptor.shutdownNow();
            closeQuietly(listener);
        }
    }

    private static SocketChannel await(Future<SocketChannel> accepted, int rank, int pred,
                                       List<InetSocketAddress> peers, long deadline) throws IOException {
        try {
            return accepted.get(Math.max(1, deadline - System.nanoTime()) + TimeUnit.SECONDS.toNanos(1), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) throw io;
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw new CommunicatorException("rank " + rank + ": accepting " + RingLinks.peerName(pred, peers.get(pred)) + " failed", e.getCause());
        } catch (TimeoutException e) {
            accepted.cancel(true);
            throw new CommunicatorException("rank " + rank + ": " + RingLinks.peerName(pred, peers.get(pred))
                    + " did not connect and authenticate in time");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CommunicatorException("rank " + rank + ": interrupted while forming the ring", e);
        }
    }

    private static SocketChannel dialSuccessor(int rank, int succ, int n, InetSocketAddress address,
                                               byte[] secret, long deadline) throws IOException {
        String peer = RingLinks.peerName(succ, address);
        while (true) {
            SocketChannel channel = SocketChannel.open();
            try {
                channel.socket().connect(address, remainingMillis(deadline, rank, peer));
                channel.socket().setTcpNoDelay(true);
                channel.socket().setSoTimeout(remainingMillis(deadline, rank, peer));
                Socket socket = channel.socket();
                SecretHandshake.answer(socket, secret, purpose(rank, succ, n));
                SecretHandshake.challenge(socket, secret, purpose(rank, succ, n) + " accepted");
                socket.setSoTimeout(0);
                return channel;
            } catch (ConnectException e) {
                closeQuietly(channel);
                sleepBeforeRetry(rank, peer, deadline, e);
            } catch (SecretHandshake.HandshakeException e) {
                closeQuietly(channel);
                throw new CommunicatorException("rank " + rank + ": " + peer + " and this rank do not share the job secret: "
                        + e.getMessage(), e);
            } catch (SocketTimeoutException e) {
                closeQuietly(channel);
                throw new CommunicatorException("rank " + rank + ": " + peer + " did not complete the handshake in time", e);
            } catch (IOException | RuntimeException e) {
                closeQuietly(channel);
                throw e;
            }
        }
    }

    private static SocketChannel acceptPredecessor(int rank, int pred, int n, List<InetSocketAddress> peers,
                                                   ServerSocketChannel listener, byte[] secret, long deadline) throws IOException {
        String peer = RingLinks.peerName(pred, peers.get(pred));
        listener.configureBlocking(true);
        while (true) {
            listener.socket().setSoTimeout(remainingMillis(deadline, rank, peer));
            Socket socket;
            try {
                socket = listener.socket().accept();
            } catch (SocketTimeoutException e) {
                throw new CommunicatorException("rank " + rank + ": " + peer + " did not connect within the comm connectTimeout", e);
            }
            SocketChannel channel = socket.getChannel();
            try {
                socket.setTcpNoDelay(true);
                socket.setSoTimeout(remainingMillis(deadline, rank, peer));
                SecretHandshake.challenge(socket, secret, purpose(pred, rank, n));
                SecretHandshake.answer(socket, secret, purpose(pred, rank, n) + " accepted");
                socket.setSoTimeout(0);
                return channel;
            } catch (IOException e) {
                // a stranger (or a rank of another job) must not break the ring: refuse it, keep listening
                LOG.warn("rank {} refused a ring connection from {} while waiting for {}: {}",
                        rank, socket.getRemoteSocketAddress(), peer, e.getMessage());
                closeQuietly(channel);
            } catch (RuntimeException e) {
                closeQuietly(channel);
                throw e;
            }
        }
    }

    private static String purpose(int from, int to, int n) {
        return "spindle-ring " + from + "->" + to + " of " + n;
    }

    private static int remainingMillis(long deadline, int rank, String peer) {
        long ms = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (ms <= 0) {
            throw new CommunicatorException("rank " + rank + ": could not connect to " + peer + " within the comm connectTimeout");
        }
        return (int) Math.min(Integer.MAX_VALUE, ms);
    }

    private static void sleepBeforeRetry(int rank, String peer, long deadline, ConnectException cause) {
        if (deadline - System.nanoTime() <= 0) {
            throw new CommunicatorException("rank " + rank + ": could not connect to " + peer + " within the comm connectTimeout", cause);
        }
        try {
            Thread.sleep(CONNECT_RETRY_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CommunicatorException("rank " + rank + ": interrupted while connecting to " + peer, e);
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) return;
        try {
            c.close();
        } catch (Exception ignored) {
            // nothing left to do for a socket that failed to close
        }
    }
}
