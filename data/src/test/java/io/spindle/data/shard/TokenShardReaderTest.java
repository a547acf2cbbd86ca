package io.spindle.data.shard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.Channels;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import io.spindle.data.tokenizer.ByteTokenizer;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TokenShardReaderTest {
    private RootAllocator root;

    @BeforeEach
    void openAllocator() {
        root = new RootAllocator();
    }

    @AfterEach
    void everyBufferWasReleased() {
        assertEquals(0, root.getAllocatedMemory(), "Arrow memory leaked");
        root.close();
    }

    @Test
    void roundTripsAShardOfManyRecordBatches() throws IOException {
        int[] tokens = new Random(7).ints(10_000, 0, ByteTokenizer.VOCAB_SIZE).toArray();
        byte[] bytes;
        try (TokenShardWriter writer = new TokenShardWriter(root, ByteTokenizer.NAME, ByteTokenizer.VOCAB_SIZE, 999)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            writer.write(tokens, tokens.length, 42, out);
            bytes = out.toByteArray();
        }
        try (TokenShardReader reader = new TokenShardReader(root, ByteTokenizer.NAME)) {
            TokenShard shard = reader.read("train-00000.arrow", new ByteArrayInputStream(bytes));
            assertArrayEquals(tokens, shard.tokens());
            assertEquals(42, shard.documents());
            assertEquals("byte-v1", shard.tokenizer());
            assertEquals(258, shard.vocabSize());
        }
    }

    @Test
    void roundTripsAnEmptyShardAndAPrefix() throws IOException {
        try (TokenShardWriter writer = new TokenShardWriter(root, ByteTokenizer.NAME, ByteTokenizer.VOCAB_SIZE);
             TokenShardReader reader = new TokenShardReader(root, ByteTokenizer.NAME)) {
            assertEquals(0, reader.read("empty", write(writer, new int[0], 0)).tokens().length);
            assertArrayEquals(new int[] {5, 6}, reader.read("prefix", write(writer, new int[] {5, 6, 7}, 2)).tokens());
        }
    }

    @Test
    void rejectsBytesThatAreNotAnArrowFile() {
        assertRejected("notes.txt", "hello, this is not arrow".getBytes(), "is not an Arrow IPC file");
        assertRejected("empty.arrow", new byte[0], "is not an Arrow IPC file");
    }

    @Test
    void rejectsATruncatedShard() throws IOException {
        byte[] whole;
        try (TokenShardWriter writer = new TokenShardWriter(root, ByteTokenizer.NAME, ByteTokenizer.VOCAB_SIZE)) {
            whole = write(writer, new int[] {1, 2, 3, 4}, 4);
        }
        assertRejected("cut.arrow", java.util.Arrays.copyOf(whole, whole.length - 10), "cut.arrow");
    }

    @Test
    void rejectsAnArrowFileOfAnotherFormat() throws IOException {
        Map<String, String> meta = spindleMetadata(2);
        meta.put("spindle.format", "parquet-ish");
        assertRejected("other.arrow", rawShard(meta, new short[] {1, 2}), "spindle.format=parquet-ish but expected spindle-tokens");
        assertRejected("plain.arrow", rawShard(Map.of(), new short[] {1, 2}), "spindle.format=null");
    }

    @Test
    void rejectsAnUnsupportedFormatVersion() throws IOException {
        Map<String, String> meta = spindleMetadata(2);
        meta.put("spindle.format_version", "2");
        assertRejected("v2.arrow", rawShard(meta, new short[] {1, 2}), "format version 2, which is unsupported");
    }

    @Test
    void rejectsAnotherTokenizer() throws IOException {
        Map<String, String> meta = spindleMetadata(2);
        meta.put("spindle.tokenizer", "bpe-32k");
        assertRejected("bpe.arrow", rawShard(meta, new short[] {1, 2}), "tokenizer bpe-32k but expected byte-v1");
    }

    @Test
    void rejectsTokensOutOfRange() throws IOException {
        assertRejected("big.arrow", rawShard(spindleMetadata(3), new short[] {1, 300, 2}),
                "token 300 at position 1, out of range for vocab_size 258");
        assertRejected("negative.arrow", rawShard(spindleMetadata(1), new short[] {-5}), "token -5 at position 0");
    }

    @Test
    void rejectsATokenCountThatDisagreesWithTheMetadata() throws IOException {
        assertRejected("short.arrow", rawShard(spindleMetadata(3), new short[] {1, 2}), "declares 3 tokens");
        assertRejected("long.arrow", rawShard(spindleMetadata(1), new short[] {1, 2}), "declares 1 tokens");
        assertRejected("huge.arrow", rawShard(spindleMetadata(1_000_000_000), new short[] {1}), "is truncated");
    }

    @Test
    void rejectsAWrongColumnType() throws IOException {
        Field int32 = new Field("tokens", FieldType.notNullable(new ArrowType.Int(32, true)), null);
        byte[] bytes;
        try (VectorSchemaRoot vectors = VectorSchemaRoot.create(new Schema(List.of(int32), spindleMetadata(1)), root)) {
            IntVector column = (IntVector) vectors.getVector(0);
            column.allocateNew(1);
            column.set(0, 1);
            column.setValueCount(1);
            vectors.setRowCount(1);
            bytes = writeFile(vectors);
        }
        assertRejected("int32.arrow", bytes, "exactly one int16 column 'tokens'");
    }

    private void assertRejected(String name, byte[] bytes, String expected) {
        try (TokenShardReader reader = new TokenShardReader(root, ByteTokenizer.NAME)) {
            var e = assertThrows(InvalidShardException.class, () -> reader.read(name, bytes));
            assertTrue(e.getMessage().contains(name), e.getMessage());
            assertTrue(e.getMessage().contains(expected), e.getMessage());
            assertTrue(e.getMessage().contains("re-run `spindle prepare`"), e.getMessage());
        }
    }

    private static byte[] write(TokenShardWriter writer, int[] tokens, int length) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        writer.write(tokens, length, 1, out);
        return out.toByteArray();
    }

    private static Map<String, String> spindleMetadata(long tokens) {
        Map<String, String> meta = new HashMap<>();
        meta.put("spindle.format", "spindle-tokens");
        meta.put("spindle.format_version", "1");
        meta.put("spindle.tokenizer", "byte-v1");
        meta.put("spindle.vocab_size", "258");
        meta.put("spindle.documents", "1");
        meta.put("spindle.tokens", Long.toString(tokens));
        return meta;
    }

    /** An int16 shard written with plain Arrow, so the metadata and values can be anything. */
    private byte[] rawShard(Map<String, String> metadata, short[] values) throws IOException {
        Field column = new Field("tokens", FieldType.notNullable(new ArrowType.Int(16, true)), null);
        try (VectorSchemaRoot vectors = VectorSchemaRoot.create(new Schema(List.of(column), metadata), root)) {
            SmallIntVector tokens = (SmallIntVector) vectors.getVector(0);
            tokens.allocateNew(values.length);
            for (int i = 0; i < values.length; i++) {
                tokens.set(i, values[i]);
            }
            tokens.setValueCount(values.length);
            vectors.setRowCount(values.length);
            return writeFile(vectors);
        }
    }

    private static byte[] writeFile(VectorSchemaRoot vectors) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ArrowFileWriter writer = new ArrowFileWriter(vectors, null, Channels.newChannel(out))) {
            writer.start();
            writer.writeBatch();
            writer.end();
        }
        return out.toByteArray();
    }
}
