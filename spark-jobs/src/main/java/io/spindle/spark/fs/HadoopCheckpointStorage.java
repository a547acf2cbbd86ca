package io.spindle.spark.fs;

import io.spindle.parallel.checkpoint.CheckpointStorage;
import io.spindle.parallel.checkpoint.CorruptCheckpointException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.ChecksumException;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Checkpoint storage on any Hadoop {@code FileSystem} (file://, hdfs://, s3a://...), rooted at a
 * run's {@code checkpoints/} directory. Hadoop's own checksum failures (the .crc files of the
 * local file system) are reported as corrupt checkpoints, like Spindle's CRC32C checks.
 */
public final class HadoopCheckpointStorage implements CheckpointStorage {
    private final FileSystem fs;
    private final Path root;

    public HadoopCheckpointStorage(String rootUri, Configuration hadoopConf) throws IOException {
        Path p = new Path(rootUri);
        this.fs = p.getFileSystem(hadoopConf);
        this.root = fs.makeQualified(p);
    }

    /** Paths below the root only: a ".." segment (from a damaged or crafted manifest) is refused. */
    private Path resolve(String path) {
        if (path.isEmpty()) return root;
        for (String segment : path.split("/")) {
            if (segment.equals("..")) {
                throw new IllegalArgumentException("checkpoint path \"" + path + "\" leaves " + root
                        + "; checkpoint files must stay inside the run's checkpoints directory");
            }
        }
        return new Path(root, path);
    }

    @Override
    public OutputStream create(String path) throws IOException {
        return fs.create(resolve(path), true);
    }

    @Override
    public InputStream open(String path) throws IOException {
        Path p = resolve(path);
        return new FilterInputStream(fs.open(p)) {
            @Override
            public int read() throws IOException {
                try {
                    return super.read();
                } catch (ChecksumException e) {
                    throw corrupt(p, e);
                }
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                try {
                    return super.read(b, off, len);
                } catch (ChecksumException e) {
                    throw corrupt(p, e);
                }
            }
        };
    }

    private static CorruptCheckpointException corrupt(Path p, ChecksumException e) {
        return new CorruptCheckpointException(p + " fails the file system's checksum: " + e.getMessage());
    }

    @Override
    public boolean exists(String path) throws IOException {
        return fs.exists(resolve(path));
    }

    @Override
    public long length(String path) throws IOException {
        return fs.getFileStatus(resolve(path)).getLen();
    }

    @Override
    public List<String> list(String dir) throws IOException {
        Path p = resolve(dir);
        List<String> names = new ArrayList<>();
        if (!fs.exists(p)) return names;
        for (FileStatus s : fs.listStatus(p)) names.add(s.getPath().getName());
        return names;
    }

    @Override
    public void rename(String from, String to) throws IOException {
        if (!fs.rename(resolve(from), resolve(to))) {
            throw new IOException("could not rename " + resolve(from) + " to " + resolve(to));
        }
    }

    @Override
    public void delete(String path) throws IOException {
        Path p = resolve(path);
        if (fs.exists(p) && !fs.delete(p, true)) {
            throw new IOException("could not delete " + p);
        }
    }

    @Override
    public String describe(String path) {
        return resolve(path).toString();
    }
}
