package io.spindle.spark.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.hadoop.conf.Configuration;
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
 */
final class MetricsLog implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final FSDataOutputStream out;

    MetricsLog(String uri, Configuration hadoopConf) throws IOException {
        Path path = new Path(uri);
        FileSystem fs = path.getFileSystem(hadoopConf);
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
    }

    synchronized void append(Map<String, Object> row) throws IOException {
        out.write(JSON.writeValueAsString(row).getBytes(StandardCharsets.UTF_8));
        out.write('\n');
        out.hflush();
    }

    @Override
    public synchronized void close() throws IOException {
        out.close();
    }
}
