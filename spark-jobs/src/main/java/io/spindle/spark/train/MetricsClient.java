package io.spindle.spark.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.spindle.parallel.net.SecretHandshake;
import io.spindle.parallel.train.MetricsSink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** A rank's end of the metrics channel (see {@link MetricsServer}). */
final class MetricsClient implements MetricsSink, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MetricsClient.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Socket socket;
    private final Writer out;
    private boolean broken;

    MetricsClient(String host, int port, byte[] secret, int connectTimeoutMs) throws IOException {
        socket = new Socket();
        try {
            socket.connect(new InetSocketAddress(host, port), connectTimeoutMs);
            SecretHandshake.answer(socket, secret, MetricsServer.PURPOSE);
        } catch (IOException e) {
            socket.close();
            throw new IOException("rank could not reach the driver's metrics channel at " + host + ":" + port
                    + " (" + e.getMessage() + "); check that executors can connect to spark.driver.host", e);
        }
        out = new BufferedWriter(new OutputStreamWriter(socket.getOutputStream(), StandardCharsets.UTF_8));
    }

    @Override
    public void emit(Map<String, Object> row) {
        if (broken) return;
        try {
            out.write(JSON.writeValueAsString(row));
            out.write('\n');
            out.flush();
        } catch (IOException e) {
            // Metrics are not worth failing training for; checkpoints still record progress.
            broken = true;
            LOG.warn("metrics channel to the driver failed, further rows are dropped: {}", e.getMessage());
        }
    }

    @Override
    public void close() throws IOException {
        try {
            if (!broken) out.flush(); // a broken channel would only fail again
        } finally {
            socket.close();
        }
    }
}
