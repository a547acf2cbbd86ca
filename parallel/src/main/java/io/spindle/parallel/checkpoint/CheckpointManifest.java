package io.spindle.parallel.checkpoint;

import java.util.List;
import java.util.Map;

/**
 * The contents of {@code manifest.json}: everything needed to resume or reproduce a run from the
 * checkpoint alone (step, full resolved config, data position, mesh, code revision) and, for every
 * file and tensor, the sizes and CRC32C checksums the loader verifies.
 *
 * @param format       always {@value #FORMAT}
 * @param version      format version, {@value #VERSION}
 * @param step         optimizer steps taken when the checkpoint was written
 * @param createdAt    ISO-8601 instant
 * @param gitRevision  revision of the code that wrote it, or "unknown"
 * @param config       the run's resolved config, as text
 * @param dataParallel DP size of the mesh that wrote it
 * @param tensorParallel TP size of the mesh that wrote it
 * @param state        small scalar state: data position, RNG seeds, counters
 * @param files        every shard file with its byte length and CRC32C
 * @param tensors      every tensor, by logical name
 */
public record CheckpointManifest(String format, int version, long step, String createdAt, String gitRevision,
                                 String config, int dataParallel, int tensorParallel, Map<String, String> state,
                                 List<FileEntry> files, List<TensorEntry> tensors) {
    public static final String FORMAT = "spindle-checkpoint";
    public static final int VERSION = 1;
    public static final String MANIFEST = "manifest.json";

    public CheckpointManifest {
        state = Map.copyOf(state);
        files = List.copyOf(files);
        tensors = List.copyOf(tensors);
    }

    /** One shard file of the checkpoint. */
    public record FileEntry(String name, long bytes, long crc32c) {}
}
