package io.spindle.spark.fs;

import io.spindle.parallel.checkpoint.CheckpointCatalog;
import io.spindle.parallel.checkpoint.CheckpointContent;
import io.spindle.parallel.checkpoint.CheckpointWriter;
import io.spindle.parallel.checkpoint.CorruptCheckpointException;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HadoopCheckpointStorageTest {
    @TempDir
    Path dir;

    private static CheckpointContent content(long step) {
        return new CheckpointContent(step, "run.name = t", 1, 1, Map.of("data.epoch", "0"),
                Map.of("w", Nd4j.rand(DataType.FLOAT, 8, 8)), Map.of("step", Nd4j.scalar(DataType.LONG, step)));
    }

    @Test
    void writesAndReadsCheckpointsThroughAHadoopFileUri() throws IOException {
        HadoopCheckpointStorage storage = new HadoopCheckpointStorage(dir.toUri() + "checkpoints", new Configuration());
        CheckpointContent saved = content(4);
        new CheckpointWriter(storage, "rev", 2).write(saved);
        new CheckpointWriter(storage, "rev", 2).write(content(8));
        new CheckpointWriter(storage, "rev", 2).write(content(12));
        CheckpointCatalog catalog = new CheckpointCatalog(storage);
        assertEquals(List.of(8L, 12L), catalog.completeSteps());
        assertTrue(Files.isDirectory(dir.resolve("checkpoints/step-12")));
        assertEquals(12L, catalog.load(12).optimizer().get("step").getLong(0));
    }

    @Test
    void aFlippedByteIsReportedAsACorruptCheckpointNamingTheFile() throws IOException {
        HadoopCheckpointStorage storage = new HadoopCheckpointStorage(dir.toUri() + "checkpoints", new Configuration());
        new CheckpointWriter(storage, "rev", 2).write(content(3));
        Path shard = dir.resolve("checkpoints/step-3/model-00000.bin");
        byte[] bytes = Files.readAllBytes(shard);
        bytes[10] ^= 1;
        Files.write(shard, bytes);
        CorruptCheckpointException e = assertThrows(CorruptCheckpointException.class,
                () -> new CheckpointCatalog(storage).load(3));
        assertTrue(e.getMessage().contains("model-00000.bin"), e.getMessage());
    }
}
