package io.spindle.spark.train;

import io.spindle.spark.metrics.TensorBoardEvents;
import java.net.InetAddress;
import java.util.LinkedHashMap;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.ChecksumFileSystem;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * {@code metrics.jsonl} on the run's Hadoop FileSystem: one JSON object per line, flushed per
 * line so that a reader tailing the file sees progress. A resumed run continues the same file.
 * The same rows go to TensorBoard event files under {@code <run.dir>/tensorboard/} (a new file
 * per driver session, which TensorBoard merges): {@code train/*} and {@code val/*} scalars.
 */
final class MetricsLog implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** metrics.jsonl field → TensorBoard tag, for training and validation rows. */
    private static final Map<String, String> SCALARS = Map.of("loss", "train/loss", "lr", "train/lr",
            "grad_norm", "train/grad_norm", "tokens_per_s", "train/tokens_per_s", "step_ms", "train/step_ms",
            "val_loss", "val/loss", "val_bpb", "val/bits_per_byte", "val_ppl", "val/perplexity");
    private final FSDataOutputStream out;
    private final TensorBoardEvents tensorBoard;

    MetricsLog(String uri, Configuration hadoopConf) throws IOException {
        Path path = new Path(uri);
        FileSystem fs = path.getFileSystem(hadoopConf);
        if (fs instanceof ChecksumFileSystem checksummed) {
            // The local file system holds back up to a 512-byte checksum chunk until close, so the rows a
            // killed driver wrote last would be lost. metrics.jsonl is a log, not verified data: write it
            // unchecksummed, each line reaching the OS when it is flushed (and drop a stale .crc).
            checksummed.getRawFileSystem().delete(checksummed.getChecksumFile(path), false);
            fs = checksummed.getRawFileSystem();
        }
        byte[] earlier = new byte[0];
        if (fs.exists(path)) {
            // Not every FileSystem supports append (the checksummed local one does not), so a
            // resumed run rewrites what was there and continues after it.
            try (InputStream in = fs.open(path)) {
                earlier = in.readAllBytes();
            }
        }
        out = fs.create(path, true);
        out.write(earlier);
        out.hflush();
        long now = System.currentTimeMillis();
        Path dir = new Path(path.getParent(), "tensorboard");
        String name = TensorBoardEvents.fileName(now / 1000, InetAddress.getLocalHost().getHostName());
        Path events = new Path(dir, name);
        // a session started within the same second must not overwrite the previous one's file
        for (int i = 1; fs.exists(events); i++) events = new Path(dir, name + "." + i);
        tensorBoard = new TensorBoardEvents(fs.create(events, true), now / 1000.0);
    }

    synchronized void append(Map<String, Object> row) throws IOException {
        out.write(JSON.writeValueAsString(row).getBytes(StandardCharsets.UTF_8));
        out.write('\n');
        out.hflush();
        Map<String, Double> scalars = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : row.entrySet()) {
            String tag = SCALARS.get(e.getKey());
            if (tag != null && e.getValue() instanceof Number n) scalars.put(tag, n.doubleValue());
        }
        if (!scalars.isEmpty() && row.get("step") instanceof Number step) {
            tensorBoard.scalars(step.longValue(), System.currentTimeMillis() / 1000.0, scalars);
            tensorBoard.flush();
        }
    }

    @Override
    public synchronized void close() throws IOException {
        try (TensorBoardEvents events = tensorBoard) {
            out.close();
        }
    }
}
