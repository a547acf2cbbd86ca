package io.spindle.spark.train;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.spindle.parallel.net.SecretHandshake;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The driver's end of the metrics channel: rank 0 connects, proves it knows the job secret, and
 * streams one JSON object per line. Spark accumulators only arrive when a task ends; a training
 * task runs for the whole job, so live progress needs this channel.
 */
final class MetricsServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MetricsServer.class);
    static final String PURPOSE = "metrics";
    static final int MAX_ROW_BYTES = 1 << 20;
    private static final int HANDSHAKE_TIMEOUT_MS = 30_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ServerSocket server;
    private final byte[] secret;
    private final Consumer<Map<String, Object>> onRow;
    private final Thread acceptor;
    private final java.util.List<Thread> readers = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile boolean closed;

    MetricsServer(String bindHost, byte[] secret, Consumer<Map<String, Object>> onRow) throws IOException {
        this.server = new ServerSocket();
        this.server.bind(new InetSocketAddress(InetAddress.getByName(bindHost), 0));
        this.secret = secret.clone();
        this.onRow = onRow;
        this.acceptor = new Thread(this::acceptLoop, "spindle-metrics-server");
        this.acceptor.setDaemon(true);
        this.acceptor.start();
    }

    int port() {
        return server.getLocalPort();
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket s = server.accept();
                Thread reader = new Thread(() -> serve(s), "spindle-metrics-" + s.getRemoteSocketAddress());
                reader.setDaemon(true);
                readers.add(reader);
                reader.start();
            } catch (IOException e) {
                if (!closed) LOG.warn("metrics server accept failed: {}", e.getMessage());
            }
        }
    }

    private void serve(Socket s) {
        try (s) {
            // a stranger that connects and says nothing must not hold a thread for the whole run
            s.setSoTimeout(HANDSHAKE_TIMEOUT_MS);
            SecretHandshake.challenge(s, secret, PURPOSE);
            s.setSoTimeout(0);
            InputStream in = new BufferedInputStream(s.getInputStream());
            String line;
            while ((line = readRow(in)) != null) {
                Map<String, Object> row = JSON.readValue(line, new TypeReference<>() {});
                synchronized (this) {
                    onRow.accept(row);
                }
            }
        } catch (SecretHandshake.HandshakeException e) {
            LOG.warn(e.getMessage());
        } catch (IOException e) {
            if (!closed) LOG.warn("metrics connection from {} ended: {}", s.getRemoteSocketAddress(), e.getMessage());
        }
    }

    /**
     * One line of UTF-8 without its newline, or null at the end of the stream. A metrics row is a few
     * hundred bytes; a longer line is refused rather than buffered, so no peer can make the driver
     * allocate without bound.
     */
    static String readRow(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(256);
        int b;
        while ((b = in.read()) != '\n') {
            if (b < 0) return line.size() == 0 ? null : line.toString(StandardCharsets.UTF_8);
            if (line.size() == MAX_ROW_BYTES) {
                throw new IOException("a metrics row longer than " + MAX_ROW_BYTES + " bytes; closing the connection");
            }
            line.write(b);
        }
        return line.toString(StandardCharsets.UTF_8);
    }

    /**
     * Waits until every rank connection has been read to its end. Ranks close their connection
     * before their task returns, so after the stage ends this only waits for bytes in flight.
     */
    void awaitConnectionsClosed(long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        for (Thread t : readers) {
            t.join(Math.max(1, deadline - System.currentTimeMillis()));
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
    }
}
