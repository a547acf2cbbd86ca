package io.spindle.parallel.checkpoint;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * Writes a checkpoint as DESIGN.md prescribes: every shard file and then the manifest go into
 * {@code step-N.tmp/}, which is renamed to {@code step-N/} only when all of it is written. A crash
 * at any point leaves either the previous checkpoints untouched or a {@code .tmp} directory the
 * loader ignores. Old checkpoints are pruned only after the new one is complete.
 */
public final class CheckpointWriter {
    private static final Logger LOG = LoggerFactory.getLogger(CheckpointWriter.class);
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final CheckpointStorage storage;
    private final String gitRevision;
    private final int keep;

    /**
     * @param keep how many complete checkpoints to keep (at least 1); older ones are deleted
     *             after each successful write
     */
    public CheckpointWriter(CheckpointStorage storage, String gitRevision, int keep) {
        if (keep < 1) throw new IllegalArgumentException("keep must be at least 1, got " + keep);
        this.storage = storage;
        this.gitRevision = gitRevision;
        this.keep = keep;
    }

    /** Writes {@code content} as {@code step-N/} and returns that directory's name. */
    public String write(CheckpointContent content) throws IOException {
        String finalDir = CheckpointCatalog.directoryName(content.step());
        String tmpDir = finalDir + ".tmp";
        storage.delete(tmpDir); // a leftover from a crashed attempt at the same step
        try {
            writeComplete(content, tmpDir, finalDir);
        } catch (IOException | RuntimeException e) {
            // e.g. a full disk: remove the partial directory (freeing what it took), keep every complete one
            try {
                storage.delete(tmpDir);
            } catch (IOException | RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw new IOException("writing " + storage.describe(tmpDir) + " failed (" + e.getMessage() + "); it was"
                    + " removed, complete checkpoints are untouched", e);
        }
        LOG.info("checkpoint step {} written to {}", content.step(), storage.describe(finalDir));
        prune();
        return finalDir;
    }

    private void writeComplete(CheckpointContent content, String tmpDir, String finalDir) throws IOException {
        List<CheckpointManifest.FileEntry> files = new ArrayList<>();
        List<TensorEntry> tensors = new ArrayList<>();
        writeShard(tmpDir, "model-00000.bin", CheckpointContent.MODEL_GROUP, content.model(), files, tensors);
        writeShard(tmpDir, "optimizer-00000.bin", CheckpointContent.OPTIMIZER_GROUP, content.optimizer(), files, tensors);
        CheckpointManifest manifest = new CheckpointManifest(CheckpointManifest.FORMAT, CheckpointManifest.VERSION,
                content.step(), Instant.now().toString(), gitRevision, content.config(), content.dataParallel(),
                content.tensorParallel(), content.state(), files, tensors);
        try (OutputStream out = storage.create(tmpDir + "/" + CheckpointManifest.MANIFEST)) {
            JSON.writeValue(out, manifest);
        }
        if (storage.exists(finalDir)) {
            // Same step written by an earlier attempt of this run (a retried stage): replace it.
            storage.delete(finalDir);
        }
        storage.rename(tmpDir, finalDir);
    }

    private void writeShard(String dir, String fileName, String group, Map<String, INDArray> tensorsByName,
                            List<CheckpointManifest.FileEntry> files, List<TensorEntry> tensors) throws IOException {
        CRC32C fileCrc = new CRC32C();
        long offset = 0;
        try (OutputStream out = storage.create(dir + "/" + fileName)) {
            for (Map.Entry<String, INDArray> e : tensorsByName.entrySet()) {
                byte[] bytes = TensorCodec.toBytes(e.getValue());
                CRC32C crc = new CRC32C();
                crc.update(bytes);
                fileCrc.update(bytes);
                out.write(bytes);
                tensors.add(new TensorEntry(e.getKey(), group, e.getValue().shape(), TensorCodec.dtypeName(e.getValue()), fileName,
                        offset, bytes.length, crc.getValue()));
                offset += bytes.length;
            }
        }
        files.add(new CheckpointManifest.FileEntry(fileName, offset, fileCrc.getValue()));
    }

    private void prune() throws IOException {
        List<Long> steps = new CheckpointCatalog(storage).completeSteps();
        for (int i = 0; i < steps.size() - keep; i++) {
            String dir = CheckpointCatalog.directoryName(steps.get(i));
            storage.delete(dir);
            LOG.info("pruned old checkpoint {}", storage.describe(dir));
        }
    }
}
