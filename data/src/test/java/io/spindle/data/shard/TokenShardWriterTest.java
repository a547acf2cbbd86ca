package io.spindle.data.shard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import io.spindle.data.tokenizer.ByteTokenizer;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.util.ByteArrayReadableSeekableByteChannel;
import org.junit.jupiter.api.Test;

class TokenShardWriterTest {
    private static final byte[] ARROW_MAGIC = "ARROW1".getBytes(StandardCharsets.US_ASCII);

    @Test
    void writesAnArrowFileWithOneInt16ColumnAndTheFormatMetadata() throws IOException {
        int[] tokens = {72, 105, ByteTokenizer.END_OF_TEXT, 0, 255, ByteTokenizer.END_OF_TEXT, 7};
        byte[] bytes;
        try (RootAllocator root = new RootAllocator();
             TokenShardWriter writer = new TokenShardWriter(root, ByteTokenizer.NAME, ByteTokenizer.VOCAB_SIZE, 3)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            writer.write(tokens, 6, 2, out);
            bytes = out.toByteArray();
        }
        assertArrayEquals(ARROW_MAGIC, Arrays.copyOf(bytes, ARROW_MAGIC.length));
        assertArrayEquals(ARROW_MAGIC, Arrays.copyOfRange(bytes, bytes.length - ARROW_MAGIC.length, bytes.length));
        // Read back with plain Arrow, independently of TokenShardReader.
        try (RootAllocator root = new RootAllocator();
             ArrowFileReader reader = new ArrowFileReader(new ByteArrayReadableSeekableByteChannel(bytes), root)) {
            var schema = reader.getVectorSchemaRoot().getSchema();
            assertEquals("spindle-tokens", schema.getCustomMetadata().get("spindle.format"));
            assertEquals("1", schema.getCustomMetadata().get("spindle.format_version"));
            assertEquals("byte-v1", schema.getCustomMetadata().get("spindle.tokenizer"));
            assertEquals("258", schema.getCustomMetadata().get("spindle.vocab_size"));
            assertEquals("2", schema.getCustomMetadata().get("spindle.documents"));
            assertEquals("6", schema.getCustomMetadata().get("spindle.tokens"));
            assertEquals("tokens: Int(16, true) not null", schema.getFields().get(0).toString());
            // 6 tokens in batches of at most 3.
            assertEquals(2, reader.getRecordBlocks().size());
            var column = (org.apache.arrow.vector.SmallIntVector) reader.getVectorSchemaRoot().getVector("tokens");
            assertTrue(reader.loadNextBatch());
            assertEquals(3, column.getValueCount());
            assertEquals(72, column.get(0));
            assertEquals(256, column.get(2));
        }
    }

    @Test
    void leavesTheCallersStreamOpen() throws IOException {
        var out = new ByteArrayOutputStream() {
            boolean closed;

            @Override
            public void close() {
                closed = true;
            }
        };
        try (TokenShardWriter writer = new TokenShardWriter(ByteTokenizer.NAME, ByteTokenizer.VOCAB_SIZE)) {
            writer.write(new int[] {1, 2}, 2, 1, out);
        }
        assertEquals(false, out.closed);
        assertTrue(out.size() > 0);
    }

    @Test
    void refusesTokensOutsideTheVocabularyAndReleasesItsMemory() {
        try (RootAllocator root = new RootAllocator()) {
            try (TokenShardWriter writer = new TokenShardWriter(root, ByteTokenizer.NAME, ByteTokenizer.VOCAB_SIZE)) {
                var e = assertThrows(IllegalArgumentException.class,
                        () -> writer.write(new int[] {1, 258}, 2, 1, new ByteArrayOutputStream()));
                assertTrue(e.getMessage().contains("token 258 at position 1"), e.getMessage());
                assertThrows(IllegalArgumentException.class,
                        () -> writer.write(new int[] {-1}, 1, 1, new ByteArrayOutputStream()));
            }
            assertEquals(0, root.getAllocatedMemory());
        }
    }

    @Test
    void refusesAVocabularyThatDoesNotFitInt16() {
        assertThrows(IllegalArgumentException.class, () -> new TokenShardWriter("big", 40_000));
    }

    @Test
    void releasesArrowMemoryWhenTheDestinationFails() {
        try (RootAllocator root = new RootAllocator()) {
            try (TokenShardWriter writer = new TokenShardWriter(root, ByteTokenizer.NAME, ByteTokenizer.VOCAB_SIZE)) {
                var failing = new java.nio.channels.WritableByteChannel() {
                    @Override
                    public int write(ByteBuffer src) throws IOException {
                        throw new IOException("disk full");
                    }

                    @Override
                    public boolean isOpen() {
                        return true;
                    }

                    @Override
                    public void close() {
                    }
                };
                assertThrows(IOException.class, () -> writer.write(new int[] {1, 2, 3}, 3, 1, failing));
            }
            assertEquals(0, root.getAllocatedMemory());
        }
    }
}
