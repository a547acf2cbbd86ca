package io.spindle.parallel.comm;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Runs one body per rank on its own thread with a hard time limit, so a hang fails the test. */
final class RankThreads {
    interface RankBody<T> {
        T run(int rank) throws Exception;
    }

    /** What one rank's body returned or threw. */
    record Outcome<T>(T value, Throwable error, long millis) {}

    private RankThreads() {}

    static <T> List<Outcome<T>> run(int n, long limitSeconds, RankBody<T> body) {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<Outcome<T>>> futures = new ArrayList<>();
            for (int r = 0; r < n; r++) {
                int rank = r;
                futures.add(pool.submit(() -> {
                    long start = System.nanoTime();
                    try {
                        T value = body.run(rank);
                        return new Outcome<>(value, null, (System.nanoTime() - start) / 1_000_000);
                    } catch (Throwable t) {
                        return new Outcome<>(null, t, (System.nanoTime() - start) / 1_000_000);
                    }
                }));
            }
            List<Outcome<T>> outcomes = new ArrayList<>();
            for (Future<Outcome<T>> f : futures) outcomes.add(f.get(limitSeconds, TimeUnit.SECONDS));
            return outcomes;
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            throw new AssertionError("ranks did not finish within " + limitSeconds + " s", e);
        } finally {
            pool.shutdownNow();
        }
    }

    /** Every rank's value, failing the test with the first rank error. */
    static <T> List<T> values(List<Outcome<T>> outcomes) {
        List<T> values = new ArrayList<>();
        for (int r = 0; r < outcomes.size(); r++) {
            if (outcomes.get(r).error() != null) throw new AssertionError("rank " + r + " failed", outcomes.get(r).error());
            values.add(outcomes.get(r).value());
        }
        return values;
    }

    static <T> List<T> all(int n, RankBody<T> body) {
        return values(run(n, 60, body));
    }

    /** Loopback listeners on ephemeral ports, one per rank. */
    static List<ServerSocketChannel> listeners(int n) throws IOException {
        List<ServerSocketChannel> listeners = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            listeners.add(ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)));
        }
        return listeners;
    }

    static List<InetSocketAddress> addresses(List<ServerSocketChannel> listeners) throws IOException {
        List<InetSocketAddress> addresses = new ArrayList<>();
        for (ServerSocketChannel l : listeners) addresses.add((InetSocketAddress) l.getLocalAddress());
        return addresses;
    }

    /** A connected TCP ring of n ranks over loopback. */
    static List<Communicator> tcpRing(int n, CommConfig config) throws IOException {
        return tcpRing(listeners(n), config);
    }

    /** A connected TCP ring on the given listeners (read their addresses first: connect closes them). */
    static List<Communicator> tcpRing(List<ServerSocketChannel> listeners, CommConfig config) throws IOException {
        int n = listeners.size();
        byte[] secret = io.spindle.parallel.net.SecretHandshake.newSecret();
        List<InetSocketAddress> peers = addresses(listeners);
        return all(n, r -> TcpRingCommunicator.connect(r, peers, listeners.get(r), secret, config));
    }

    static void closeAll(List<? extends AutoCloseable> comms) throws Exception {
        for (AutoCloseable c : comms) c.close();
    }
}
