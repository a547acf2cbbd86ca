package io.spindle.parallel.checkpoint;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;

/**
 * The few file-system operations checkpoints need, relative to a run's checkpoint root. The Spark
 * layer implements it on a Hadoop {@code FileSystem} (file://, hdfs://, ...); tests use a local
 * directory. Keeping it this small is what lets the checkpoint format be tested without Spark.
 */
public interface CheckpointStorage {
    /** Creates (or replaces) a file; parent directories are created as needed. */
    OutputStream create(String path) throws IOException;

    InputStream open(String path) throws IOException;

    boolean exists(String path) throws IOException;

    long length(String path) throws IOException;

    /** Names (not paths) of the entries directly under {@code dir}; empty if it does not exist. */
    List<String> list(String dir) throws IOException;

    /** Atomic on HDFS and local file systems: the checkpoint becomes visible all at once. */
    void rename(String from, String to) throws IOException;

    /** Deletes a file or a directory tree; no error if it does not exist. */
    void delete(String path) throws IOException;

    /** A human-readable location for messages, e.g. {@code file:/runs/tiny/checkpoints}. */
    String describe(String path);
}
