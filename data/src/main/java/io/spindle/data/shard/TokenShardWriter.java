package io.spindle.data.shard;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.util.List;
import java.util.Map;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Writes token shards in {@link TokenShardFormat}. The writer owns one Arrow allocator (a child of
 * the caller's, or its own root) and releases it on {@link #close()}; Arrow then reports any
 * buffer that was not freed. One writer may write many shards, one at a time.
 *
 * <p>The destination stream or channel belongs to the caller and is left open, so a Hadoop
 * output stream can be closed (and its file renamed) by whoever opened it.
 */
public final class TokenShardWriter implements AutoCloseable {
    private final BufferAllocator allocator;
    private final String tokenizer;
    private final int vocabSize;
    private final int batchTokens;

    /** A writer with its own root allocator. */
    public TokenShardWriter(String tokenizer, int vocabSize) {
        this(new RootAllocator(), tokenizer, vocabSize, TokenShardFormat.MAX_BATCH_TOKENS, true);
    }

    /** A writer that allocates from a child of {@code parent}. */
    public TokenShardWriter(BufferAllocator parent, String tokenizer, int vocabSize) {
        this(parent, tokenizer, vocabSize, TokenShardFormat.MAX_BATCH_TOKENS, false);
    }

    /** Smaller record batches than the format's maximum, so tests can cover multi-batch shards. */
    TokenShardWriter(BufferAllocator parent, String tokenizer, int vocabSize, int batchTokens) {
        this(parent, tokenizer, vocabSize, batchTokens, false);
    }

    private TokenShardWriter(BufferAllocator base, String tokenizer, int vocabSize, int batchTokens,
                             boolean ownsBase) {
        if (tokenizer == null || tokenizer.isBlank()) {
            throw new IllegalArgumentException("tokenizer name is blank; pass the tokenizer's name()");
        }
        if (vocabSize < 1 || vocabSize > TokenShardFormat.MAX_VOCAB_SIZE) {
            throw new IllegalArgumentException("vocabSize=" + vocabSize + " does not fit an int16 shard; allowed 1.."
                    + TokenShardFormat.MAX_VOCAB_SIZE);
        }
        if (batchTokens < 1 || batchTokens > TokenShardFormat.MAX_BATCH_TOKENS) {
            throw new IllegalArgumentException("batchTokens=" + batchTokens + " is outside 1.."
                    + TokenShardFormat.MAX_BATCH_TOKENS);
        }
        this.allocator = ownsBase ? base : base.newChildAllocator("token-shard-writer", 0, Long.MAX_VALUE);
        this.tokenizer = tokenizer;
        this.vocabSize = vocabSize;
        this.batchTokens = batchTokens;
    }

    /** Writes {@code tokens[0..length)} holding {@code documents} documents as one shard. */
    public void write(int[] tokens, int length, long documents, OutputStream out) throws IOException {
        write(tokens, length, documents, Channels.newChannel(out));
    }

    /** Writes {@code tokens[0..length)} holding {@code documents} documents as one shard. */
    public void write(int[] tokens, int length, long documents, WritableByteChannel out) throws IOException {
        if (length < 0 || length > tokens.length) {
            throw new IllegalArgumentException("length=" + length + " is outside 0.." + tokens.length);
        }
        if (documents < 0) {
            throw new IllegalArgumentException("documents=" + documents + " is negative");
        }
        checkRange(tokens, length);
        Schema schema = schema(length, documents);
        try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
             ArrowFileWriter writer = new ArrowFileWriter(root, null, new CallerOwnedChannel(out))) {
            SmallIntVector column = (SmallIntVector) root.getVector(TokenShardFormat.COLUMN);
            writer.start();
            for (int start = 0; start < length; start += batchTokens) {
                int n = Math.min(batchTokens, length - start);
                column.allocateNew(n);
                for (int i = 0; i < n; i++) {
                    column.set(i, (short) tokens[start + i]);
                }
                column.setValueCount(n);
                root.setRowCount(n);
                writer.writeBatch();
            }
            writer.end();
        }
    }

    private void checkRange(int[] tokens, int length) {
        for (int i = 0; i < length; i++) {
            if (tokens[i] < 0 || tokens[i] >= vocabSize) {
                throw new IllegalArgumentException("token " + tokens[i] + " at position " + i
                        + " is outside the vocabulary 0.." + (vocabSize - 1) + " of " + tokenizer);
            }
        }
    }

    private Schema schema(int length, long documents) {
        Field column = new Field(TokenShardFormat.COLUMN,
                FieldType.notNullable(new ArrowType.Int(16, true)), null);
        Map<String, String> metadata = Map.of(
                TokenShardFormat.KEY_FORMAT, TokenShardFormat.FORMAT,
                TokenShardFormat.KEY_VERSION, TokenShardFormat.VERSION,
                TokenShardFormat.KEY_TOKENIZER, tokenizer,
                TokenShardFormat.KEY_VOCAB_SIZE, Integer.toString(vocabSize),
                TokenShardFormat.KEY_DOCUMENTS, Long.toString(documents),
                TokenShardFormat.KEY_TOKENS, Integer.toString(length));
        return new Schema(List.of(column), metadata);
    }

    @Override
    public void close() {
        allocator.close();
    }

    /** Arrow closes the channel it writes to; the caller's stream must outlive the shard. */
    private static final class CallerOwnedChannel implements WritableByteChannel {
        private final WritableByteChannel target;
        private boolean open = true;

        CallerOwnedChannel(WritableByteChannel target) {
            this.target = target;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            return target.write(src);
        }

        @Override
        public boolean isOpen() {
            return open && target.isOpen();
        }

        @Override
        public void close() {
            open = false;
        }
    }
}
