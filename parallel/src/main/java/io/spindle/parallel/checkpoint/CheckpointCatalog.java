package io.spindle.parallel.checkpoint;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/**
 * Finds and loads checkpoints. A directory counts as a checkpoint only when it is named
 * {@code step-N} and holds a manifest; every load verifies file lengths and CRC32C checksums of
 * files and tensors, and refuses anything that does not match with the file and check named.
 */
public final class CheckpointCatalog {
    private static final Logger LOG = LoggerFactory.getLogger(CheckpointCatalog.class);
    private static final Pattern STEP_DIR = Pattern.compile("step-(\\d+)");
    /** What {@link CheckpointWriter} names its shard files: a bare name, never a path. */
    private static final Pattern SHARD_FILE = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]*");
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);

    /** Bytes read at a time when verifying a shard file. */
    private static final int VERIFY_BLOCK = 1 << 20;

    private final CheckpointStorage storage;

    public CheckpointCatalog(CheckpointStorage storage) {
        this.storage = storage;
    }

    static String directoryName(long step) {
        return "step-" + step;
    }

    /** Steps of the directories that look complete (name and manifest present), ascending. */
    public List<Long> completeSteps() throws IOException {
        List<Long> steps = new ArrayList<>();
        for (String name : storage.list("")) {
            Matcher m = STEP_DIR.matcher(name);
            if (m.matches() && storage.exists(name + "/" + CheckpointManifest.MANIFEST)) {
                steps.add(Long.parseLong(m.group(1)));
            }
        }
        Collections.sort(steps);
        return steps;
    }

    /**
     * Loads the newest checkpoint that verifies. A damaged newer one is skipped with a warning
     * given to {@code warnings} (and the log) naming what failed; empty when none verifies or
     * none exists.
     */
    public Optional<CheckpointContent> loadLatestValid(Consumer<String> warnings) throws IOException {
        List<Long> steps = completeSteps();
        for (int i = steps.size() - 1; i >= 0; i--) {
            try {
                return Optional.of(load(steps.get(i)));
            } catch (CorruptCheckpointException e) {
                String msg = "checkpoint " + storage.describe(directoryName(steps.get(i))) + " is unusable ("
                        + e.getMessage() + "); falling back to the previous one";
                LOG.warn(msg);
                warnings.accept(msg);
            }
        }
        return Optional.empty();
    }

    /**
     * Verifies {@code step-N} (manifest, every file's length and CRC32C, every tensor's range and
     * CRC32C, reading each file once a block at a time) and returns its content with tensor sources
     * that read the shard files again, one tensor at a time, when consumed; throws {@link
     * CorruptCheckpointException} naming the failure.
     */
    public CheckpointContent load(long step) throws IOException {
        String dir = directoryName(step);
        CheckpointManifest manifest = readManifest(dir);
        if (manifest.step() != step) {
            throw new CorruptCheckpointException(storage.describe(dir + "/" + CheckpointManifest.MANIFEST)
                    + " says step " + manifest.step() + " but the directory is " + dir);
        }
        Map<String, CheckpointManifest.FileEntry> files = new LinkedHashMap<>();
        for (CheckpointManifest.FileEntry f : manifest.files()) files.put(f.name(), f);
        Map<String, List<TensorEntry>> tensorsByFile = new LinkedHashMap<>();
        for (TensorEntry t : manifest.tensors()) {
            checkRange(dir, t, files.get(t.file()));
            tensorsByFile.computeIfAbsent(t.file(), k -> new ArrayList<>()).add(t);
        }
        for (CheckpointManifest.FileEntry f : manifest.files()) {
            verify(dir, f, tensorsByFile.getOrDefault(f.name(), List.of()));
        }
        List<TensorEntry> model = new ArrayList<>();
        List<TensorEntry> optimizer = new ArrayList<>();
        for (TensorEntry t : manifest.tensors()) {
            (CheckpointContent.OPTIMIZER_GROUP.equals(t.group()) ? optimizer : model).add(t);
        }
        return new CheckpointContent(manifest.step(), manifest.config(), manifest.dataParallel(),
                manifest.tensorParallel(), manifest.state(), new ShardTensors(storage, dir, model),
                new ShardTensors(storage, dir, optimizer));
    }

    /** Reads only the manifest of {@code step-N} (no tensor data), e.g. to inspect its config. */
    public CheckpointManifest manifest(long step) throws IOException {
        return readManifest(directoryName(step));
    }

    private CheckpointManifest readManifest(String dir) throws IOException {
        String path = dir + "/" + CheckpointManifest.MANIFEST;
        if (!storage.exists(path)) {
            throw new CorruptCheckpointException(storage.describe(path) + " is missing");
        }
        CheckpointManifest manifest;
        try (InputStream in = storage.open(path)) {
            manifest = JSON.readValue(in, CheckpointManifest.class);
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new CorruptCheckpointException(storage.describe(path) + " is not a valid manifest: "
                    + e.getOriginalMessage());
        }
        if (!CheckpointManifest.FORMAT.equals(manifest.format()) || manifest.version() != CheckpointManifest.VERSION) {
            throw new CorruptCheckpointException(storage.describe(path) + " has format " + manifest.format() + " v"
                    + manifest.version() + "; this build reads " + CheckpointManifest.FORMAT + " v"
                    + CheckpointManifest.VERSION);
        }
        checkFileNames(path, manifest);
        return manifest;
    }

    /**
     * Shard files live next to their manifest: a name with a path in it (e.g. {@code ../../x}) would
     * make the loader read outside the checkpoint directory, so it is refused before anything is read.
     */
    private void checkFileNames(String manifestPath, CheckpointManifest manifest) throws CorruptCheckpointException {
        List<String> names = new ArrayList<>();
        for (CheckpointManifest.FileEntry f : manifest.files()) names.add(f.name());
        for (TensorEntry t : manifest.tensors()) names.add(t.file());
        for (String name : names) {
            if (name == null || !SHARD_FILE.matcher(name).matches()) {
                throw new CorruptCheckpointException(storage.describe(manifestPath) + " lists shard file \"" + name
                        + "\", which is not a plain file name inside the checkpoint directory (no '/', no '..');"
                        + " refusing to read outside it");
            }
        }
    }

    /** Checks that {@code t}'s dtype, shape and byte range agree with each other and with its file. */
    private void checkRange(String dir, TensorEntry t, CheckpointManifest.FileEntry file) throws CorruptCheckpointException {
        String where = "tensor " + t.name() + " in " + storage.describe(dir + "/" + t.file());
        if (file == null) {
            throw new CorruptCheckpointException(where + ": the manifest lists no such file");
        }
        int elementBytes = TensorCodec.elementBytes(t.dtype());
        if (elementBytes < 0 || t.bytes() != t.elements() * elementBytes || t.bytes() > Integer.MAX_VALUE
                || t.offset() < 0 || t.offset() + t.bytes() > file.bytes()) {
            throw new CorruptCheckpointException(where + ": dtype/shape/byte range do not agree with the file");
        }
    }

    /**
     * Checks a shard file's presence, length and CRC32C, and the CRC32C of every tensor in it, in
     * one pass over the file a block at a time: a shard larger than memory (offloaded optimizer
     * state) is verified without being held.
     */
    private void verify(String dir, CheckpointManifest.FileEntry f, List<TensorEntry> tensors) throws IOException {
        String path = dir + "/" + f.name();
        if (!storage.exists(path)) {
            throw new CorruptCheckpointException("shard file " + storage.describe(path) + " is missing");
        }
        long length = storage.length(path);
        if (length != f.bytes()) {
            throw new CorruptCheckpointException("shard file " + storage.describe(path) + " has " + length
                    + " bytes but the manifest records " + f.bytes() + " (truncated or overwritten)");
        }
        TensorChecksums perTensor = new TensorChecksums(tensors);
        CRC32C crc = new CRC32C();
        byte[] block = new byte[VERIFY_BLOCK];
        long at = 0;
        try (InputStream in = storage.open(path)) {
            for (int n; (n = in.read(block)) > 0; at += n) {
                crc.update(block, 0, n);
                perTensor.update(block, n, at);
            }
        }
        if (at != f.bytes() || crc.getValue() != f.crc32c()) {
            throw new CorruptCheckpointException("shard file " + storage.describe(path) + " fails its CRC32C check"
                    + " (stored " + Long.toHexString(f.crc32c()) + ", computed " + Long.toHexString(crc.getValue()) + ")");
        }
        TensorEntry bad = perTensor.firstMismatch();
        if (bad != null) {
            throw new CorruptCheckpointException("tensor " + bad.name() + " in " + storage.describe(path)
                    + " fails its CRC32C check");
        }
    }
}
