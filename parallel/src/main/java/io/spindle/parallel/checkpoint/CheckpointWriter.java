package io.spindle.parallel.checkpoint;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.spindle.optim.state.TensorSource;
import io.spindle.optim.state.TensorSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
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
        writeShard(tmpDir, "model-00000.bin", CheckpointContent.MODEL_GROUP, content.modelTensors(), files, tensors);
        writeShard(tmpDir, "optimizer-00000.bin", CheckpointContent.OPTIMIZER_GROUP, content.optimizerTensors(), files,
                tensors);
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

    /**
     * Writes the group's tensors one after the other as {@code source} produces them: only the
     * tensor being written is held (and its bytes), whatever the size of the group. Each must be
     * what {@link TensorSource#specs} announced, and every announced tensor must come.
     */
    private void writeShard(String dir, String fileName, String group, TensorSource source,
                            List<CheckpointManifest.FileEntry> files, List<TensorEntry> tensors) throws IOException {
        List<TensorSpec> specs = source.specs();
        Set<String> names = new HashSet<>();
        for (TensorSpec s : specs) {
            TensorCodec.dtypeName(s.dtype());
            if (!names.add(s.name())) throw new IllegalArgumentException(group + " tensor " + s.name() + " is listed twice");
        }
        CRC32C fileCrc = new CRC32C();
        long[] offset = {0};
        int first = tensors.size();
        try (OutputStream out = storage.create(dir + "/" + fileName)) {
            source.produce((spec, tensor) -> {
                int i = tensors.size() - first;
                if (i >= specs.size() || !specs.get(i).equals(spec)) {
                    throw new IllegalStateException(group + " tensor " + spec + " was produced where "
                            + (i < specs.size() ? specs.get(i) : "no tensor") + " was announced");
                }
                spec.requireMatches(tensor);
                byte[] bytes = TensorCodec.toBytes(tensor);
                CRC32C crc = new CRC32C();
                crc.update(bytes);
                fileCrc.update(bytes);
                out.write(bytes);
                tensors.add(new TensorEntry(spec.name(), group, spec.shape(), TensorCodec.dtypeName(spec.dtype()),
                        fileName, offset[0], bytes.length, crc.getValue()));
                offset[0] += bytes.length;
            });
        }
        if (tensors.size() - first != specs.size()) {
            throw new IllegalStateException(group + " tensors: " + specs.size() + " announced, "
                    + (tensors.size() - first) + " produced");
        }
        files.add(new CheckpointManifest.FileEntry(fileName, offset[0], fileCrc.getValue()));
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
