package io.spindle.parallel.checkpoint;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CheckpointCatalogTest {
    @TempDir
    Path dir;

    private CheckpointContent content(long step) {
        Map<String, INDArray> model = new LinkedHashMap<>();
        model.put("w", Nd4j.arange(12).castTo(DataType.FLOAT).reshape(3, 4).addi(step));
        // A view into a larger buffer, as flat-buffer parameters are.
        INDArray flat = Nd4j.arange(20).castTo(DataType.FLOAT);
        model.put("b", flat.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(5, 9)));
        // COAT keeps FP8 codes as int8 tensors; negative bytes must survive the trip.
        Map<String, INDArray> opt = Map.of("w/m", Nd4j.ones(DataType.FLOAT, 3, 4).muli(0.5),
                "w/v.fp8", Nd4j.createFromArray(new byte[] {0, 1, -1, 127, -128, 56}).reshape(2, 3),
                "step", Nd4j.scalar(DataType.LONG, step));
        return new CheckpointContent(step, "model.flavor = tiny", 1, 1, Map.of("data.epoch", "2"), model, opt);
    }

    @Test
    void roundTripsTensorsByNameAndShape() throws IOException {
        LocalCheckpointStorage storage = new LocalCheckpointStorage(dir);
        new CheckpointWriter(storage, "abc123", 3).write(content(7));
        CheckpointContent back = new CheckpointCatalog(storage).load(7);
        assertEquals(7, back.step());
        assertEquals("2", back.state().get("data.epoch"));
        assertEquals("model.flavor = tiny", back.config());
        assertArrayEquals(new long[]{3, 4}, back.model().get("w").shape());
        assertEquals(content(7).model().get("w"), back.model().get("w"));
        assertArrayEquals(new float[]{5, 6, 7, 8}, back.model().get("b").toFloatVector(), 0f);
        assertEquals(0.5f, back.optimizer().get("w/m").getFloat(2, 3), 0f);
        assertEquals(7L, back.optimizer().get("step").getLong(0));
        assertEquals(DataType.BYTE, back.optimizer().get("w/v.fp8").dataType());
        assertEquals(content(7).optimizer().get("w/v.fp8"), back.optimizer().get("w/v.fp8"));
        assertEquals("abc123", new CheckpointCatalog(storage).manifest(7).gitRevision());
    }

    @Test
    void keepsOnlyTheNewestCheckpointsAndIgnoresTemporaryDirectories() throws IOException {
        LocalCheckpointStorage storage = new LocalCheckpointStorage(dir);
        CheckpointWriter writer = new CheckpointWriter(storage, "x", 2);
        for (long s = 1; s <= 4; s++) writer.write(content(s));
        Files.createDirectories(dir.resolve("step-9.tmp"));
        assertEquals(List.of(3L, 4L), new CheckpointCatalog(storage).completeSteps());
    }

    @Test
    void refusesATruncatedShardNamingTheFile() throws IOException {
        LocalCheckpointStorage storage = new LocalCheckpointStorage(dir);
        new CheckpointWriter(storage, "x", 3).write(content(5));
        Path shard = dir.resolve("step-5/model-00000.bin");
        byte[] bytes = Files.readAllBytes(shard);
        Files.write(shard, java.util.Arrays.copyOf(bytes, bytes.length - 4));
        CorruptCheckpointException e = assertThrows(CorruptCheckpointException.class,
                () -> new CheckpointCatalog(storage).load(5));
        assertTrue(e.getMessage().contains("model-00000.bin") && e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void refusesAFlippedByteWithTheChecksumNamed() throws IOException {
        LocalCheckpointStorage storage = new LocalCheckpointStorage(dir);
        new CheckpointWriter(storage, "x", 3).write(content(5));
        Path shard = dir.resolve("step-5/optimizer-00000.bin");
        byte[] bytes = Files.readAllBytes(shard);
        bytes[3] ^= 0x10;
        Files.write(shard, bytes);
        CorruptCheckpointException e = assertThrows(CorruptCheckpointException.class,
                () -> new CheckpointCatalog(storage).load(5));
        assertTrue(e.getMessage().contains("optimizer-00000.bin") && e.getMessage().contains("CRC32C"), e.getMessage());
    }

    @Test
    void fallsBackToThePreviousCheckpointWhenTheNewestIsDamaged() throws IOException {
        LocalCheckpointStorage storage = new LocalCheckpointStorage(dir);
        CheckpointWriter writer = new CheckpointWriter(storage, "x", 3);
        writer.write(content(1));
        writer.write(content(2));
        Files.delete(dir.resolve("step-2/model-00000.bin"));
        List<String> warnings = new ArrayList<>();
        Optional<CheckpointContent> loaded = new CheckpointCatalog(storage).loadLatestValid(warnings::add);
        assertTrue(loaded.isPresent());
        assertEquals(1, loaded.get().step());
        assertEquals(1, warnings.size());
        assertTrue(warnings.get(0).contains("step-2") && warnings.get(0).contains("missing"), warnings.get(0));
    }

    @Test
    void refusesAManifestThatIsNotJson() throws IOException {
        LocalCheckpointStorage storage = new LocalCheckpointStorage(dir);
        new CheckpointWriter(storage, "x", 3).write(content(3));
        Files.writeString(dir.resolve("step-3/manifest.json"), "{not json");
        CorruptCheckpointException e = assertThrows(CorruptCheckpointException.class,
                () -> new CheckpointCatalog(storage).load(3));
        assertTrue(e.getMessage().contains("manifest.json"), e.getMessage());
        assertFalse(new CheckpointCatalog(storage).loadLatestValid(w -> { }).isPresent());
    }
}
