package io.spindle.it;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.util.Progressable;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;

/**
 * The local file system under the scheme {@code faulty://}, failing writes whose path contains
 * {@code fs.faulty.failPath} the way a full or read-only disk does:
 * {@code fs.faulty.mode = enospc} lets a file be created and fails once 4 KiB have been written
 * to it ("No space left on device"); {@code readonly} fails creating the file or its directory
 * ("Read-only file system"). Registered per run with {@code spark.hadoop.fs.faulty.impl}.
 */
public final class FaultyFileSystem extends RawLocalFileSystem {
    static final String SCHEME = "faulty";
    private static final int ENOSPC_AFTER_BYTES = 4096;

    private String failPath = "";
    private String mode = "none";

    @Override
    public void initialize(URI uri, Configuration conf) throws IOException {
        super.initialize(uri, conf);
        failPath = conf.get("fs.faulty.failPath", "");
        mode = conf.get("fs.faulty.mode", "none");
    }

    @Override
    public URI getUri() {
        return URI.create(SCHEME + ":///");
    }

    @Override
    public String getScheme() {
        return SCHEME;
    }

    private boolean fails(Path p) {
        return !failPath.isEmpty() && p.toUri().getPath().contains(failPath);
    }

    @Override
    public boolean mkdirs(Path p) throws IOException {
        refuseIfReadOnly(p);
        return super.mkdirs(p);
    }

    @Override
    public boolean mkdirs(Path p, FsPermission permission) throws IOException {
        refuseIfReadOnly(p);
        return super.mkdirs(p, permission);
    }

    @Override
    public FSDataOutputStream create(Path p, boolean overwrite, int bufferSize, short replication, long blockSize,
                                     Progressable progress) throws IOException {
        refuseIfReadOnly(p);
        return fillUp(p, super.create(p, overwrite, bufferSize, replication, blockSize, progress));
    }

    @Override
    public FSDataOutputStream create(Path p, FsPermission permission, boolean overwrite, int bufferSize,
                                     short replication, long blockSize, Progressable progress) throws IOException {
        refuseIfReadOnly(p);
        return fillUp(p, super.create(p, permission, overwrite, bufferSize, replication, blockSize, progress));
    }

    private void refuseIfReadOnly(Path p) throws IOException {
        if (fails(p) && mode.equals("readonly")) throw new IOException(p + ": Read-only file system");
    }

    private FSDataOutputStream fillUp(Path p, FSDataOutputStream real) throws IOException {
        return fails(p) && mode.equals("enospc") ? new FSDataOutputStream(new DiskFull(real), statistics) : real;
    }

    /** Takes the first 4 KiB, then fails every write as a full disk does. */
    private static final class DiskFull extends OutputStream {
        private final OutputStream out;
        private long written;

        DiskFull(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            int room = (int) Math.max(0, Math.min(len, ENOSPC_AFTER_BYTES - written));
            out.write(b, off, room);
            written += room;
            if (room < len) throw new IOException("No space left on device");
        }

        @Override
        public void close() throws IOException {
            out.close();
        }
    }
}
