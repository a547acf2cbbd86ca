package io.spindle.parallel.checkpoint;

import io.spindle.optim.state.TensorSource;
import io.spindle.optim.state.TensorSpec;
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
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Checkpoint groups written from and read back into {@link TensorSource}s, one tensor at a time. */
class StreamedCheckpointTest {
    @TempDir
    Path dir;

    private static Map<String, INDArray> optimizerState() {
        Map<String, INDArray> m = new LinkedHashMap<>();
        m.put("step", Nd4j.scalar(DataType.LONG, 4L));
        for (int i = 0; i < 5; i++) {
            m.put("w" + i + "/m", Nd4j.rand(DataType.FLOAT, 3 + i, 4).subi(0.5));
            m.put("w" + i + "/v.fp8", Nd4j.createFromArray(new byte[] {(byte) i, 1, -1, 127, -128, 56}).reshape(2, 3));
        }
        return m;
    }

    private static Map<String, INDArray> model() {
        return Map.of("w", Nd4j.rand(DataType.FLOAT, 3, 4));
    }

    /**
     * Produces copies, counts the produce calls, overwrites each tensor as soon as its sink returns
     * and refuses to be gathered: a writer that kept tensors to write later, or gathered the group
     * in memory, would fail here.
     */
    private static final class OneAtATime implements TensorSource {
        private final Map<String, INDArray> tensors;
        int produceCalls;

        OneAtATime(Map<String, INDArray> tensors) {
            this.tensors = tensors;
        }

        @Override
        public List<TensorSpec> specs() {
            return TensorSource.of(tensors).specs();
        }

        @Override
        public void produce(Predicate<String> wanted, Sink sink) throws IOException {
            produceCalls++;
            for (Map.Entry<String, INDArray> e : tensors.entrySet()) {
                if (!wanted.test(e.getKey())) continue;
                INDArray t = e.getValue().dup('c');
                sink.accept(TensorSpec.of(e.getKey(), t), t);
                t.assign(t.dataType().isFPType() ? Double.NaN : 99);
            }
        }

        @Override
        public Map<String, INDArray> toMap() {
            throw new AssertionError("the checkpoint writer gathered a streamed group in memory");
        }
    }

    /** A streamed optimizer group gives the same shard file, byte for byte, and the same manifest entries as the map. */
    @Test
    void streamedGroupWritesTheSameBytesAsTheMap() throws IOException {
        Map<String, INDArray> state = optimizerState();
        Map<String, INDArray> params = model();
        LocalCheckpointStorage mapped = new LocalCheckpointStorage(dir.resolve("map"));
        LocalCheckpointStorage streamed = new LocalCheckpointStorage(dir.resolve("stream"));
        new CheckpointWriter(mapped, "x", 2).write(new CheckpointContent(4, "c", 1, 1, Map.of(), params, state));
        OneAtATime source = new OneAtATime(state);
        new CheckpointWriter(streamed, "x", 2).write(new CheckpointContent(4, "c", 1, 1, Map.of(),
                TensorSource.of(params), source));
        assertEquals(1, source.produceCalls, "the writer reads the group once");
        for (String file : List.of("model-00000.bin", "optimizer-00000.bin")) {
            assertArrayEquals(Files.readAllBytes(dir.resolve("map/step-4/" + file)),
                    Files.readAllBytes(dir.resolve("stream/step-4/" + file)), file);
        }
        assertEquals(entries(mapped), entries(streamed));
    }

    private static List<String> entries(CheckpointStorage storage) throws IOException {
        List<String> out = new ArrayList<>();
        for (TensorEntry t : new CheckpointCatalog(storage).manifest(4).tensors()) {
            out.add(t + " " + t.dtype() + " " + t.file() + " @" + t.offset() + "+" + t.bytes() + " crc " + t.crc32c());
        }
        return out;
    }

    /** A source that announces one thing and produces another fails the write, which leaves no checkpoint. */
    @Test
    void aSourceThatBreaksItsAnnouncementFailsTheWrite() throws IOException {
        LocalCheckpointStorage storage = new LocalCheckpointStorage(dir);
        TensorSource lying = new TensorSource() {
            @Override
            public List<TensorSpec> specs() {
                return List.of(new TensorSpec("w/m", DataType.FLOAT, new long[] {2, 2}));
            }

            @Override
            public void produce(Predicate<String> wanted, Sink sink) throws IOException {
                INDArray t = Nd4j.zeros(DataType.FLOAT, 3, 2);
                sink.accept(new TensorSpec("w/m", DataType.FLOAT, new long[] {2, 2}), t);
            }
        };
        IOException e = assertThrows(IOException.class, () -> new CheckpointWriter(storage, "x", 2)
                .write(new CheckpointContent(1, "c", 1, 1, Map.of(), TensorSource.of(model()), lying)));
        assertTrue(e.getMessage().contains("w/m"), e.getMessage());
        assertEquals(List.of(), new CheckpointCatalog(storage).completeSteps().stream().toList());
        assertTrue(!Files.exists(dir.resolve("step-1.tmp")));
    }

    /**
     * A loaded checkpoint reads its tensors only when they are produced, one at a time, each freed
     * before the next is read; a shard changed after the load verified it is refused then.
     */
    @Test
    void aLoadedGroupIsReadOneTensorAtATimeAndCheckedAgain() throws IOException {
        LocalCheckpointStorage storage = new LocalCheckpointStorage(dir);
        Map<String, INDArray> state = optimizerState();
        new CheckpointWriter(storage, "x", 2).write(new CheckpointContent(4, "c", 1, 1, Map.of(), model(), state));
        CheckpointContent back = new CheckpointCatalog(storage).load(4);
        assertEquals(TensorSource.of(state).specs(), back.optimizerTensors().specs());
        List<INDArray> handed = new ArrayList<>();
        back.optimizerTensors().produce((spec, t) -> {
            for (INDArray earlier : handed) assertTrue(earlier.wasClosed(), "freed before " + spec.name());
            assertEquals(state.get(spec.name()), t, spec.name());
            handed.add(t);
        });
        assertEquals(state.size(), handed.size());

        List<String> some = new ArrayList<>();
        back.optimizerTensors().produce(name -> name.startsWith("w3/"), (spec, t) -> some.add(spec.name()));
        assertEquals(List.of("w3/m", "w3/v.fp8"), some);

        Path shard = dir.resolve("step-4/optimizer-00000.bin");
        byte[] bytes = Files.readAllBytes(shard);
        bytes[bytes.length - 1] ^= 0x01;
        Files.write(shard, bytes);
        CorruptCheckpointException e = assertThrows(CorruptCheckpointException.class,
                () -> back.optimizerTensors().produce((spec, t) -> { }));
        assertTrue(e.getMessage().contains("w4/v.fp8") && e.getMessage().contains("CRC32C"), e.getMessage());
    }
}
