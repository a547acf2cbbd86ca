package io.spindle.data.shard;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.ByteArrayReadableSeekableByteChannel;

/**
 * Reads token shards written by {@link TokenShardWriter} and refuses anything else with an
 * {@link InvalidShardException} that names the shard, the problem and the fix. Like the writer, it
 * owns one Arrow allocator, released on {@link #close()}; the returned tokens are on-heap copies.
 */
public final class TokenShardReader implements AutoCloseable {
    private static final String FIX = "re-run `spindle prepare` to write the dataset again";

    private final BufferAllocator allocator;
    private final String expectedTokenizer;

    /** A reader with its own root allocator that accepts shards of {@code expectedTokenizer}. */
    public TokenShardReader(String expectedTokenizer) {
        this.allocator = new RootAllocator();
        this.expectedTokenizer = expectedTokenizer;
    }

    /** A reader that allocates from a child of {@code parent}. */
    public TokenShardReader(BufferAllocator parent, String expectedTokenizer) {
        this.allocator = parent.newChildAllocator("token-shard-reader", 0, Long.MAX_VALUE);
        this.expectedTokenizer = expectedTokenizer;
    }

    /** Reads the whole stream (a shard is read whole: Arrow's file format needs its footer). */
    public TokenShard read(String shardName, InputStream in) throws IOException {
        return read(shardName, in.readAllBytes());
    }

    public TokenShard read(String shardName, byte[] bytes) {
        try (ArrowFileReader reader = new ArrowFileReader(new ByteArrayReadableSeekableByteChannel(bytes), allocator)) {
            Schema schema = openSchema(shardName, reader);
            Map<String, String> meta = schema.getCustomMetadata();
            checkHeader(shardName, schema, meta);
            int vocabSize = intField(shardName, meta, TokenShardFormat.KEY_VOCAB_SIZE);
            long documents = longField(shardName, meta, TokenShardFormat.KEY_DOCUMENTS);
            int declared = intField(shardName, meta, TokenShardFormat.KEY_TOKENS);
            if (declared > bytes.length / Short.BYTES) {
                // Checked before allocating, so corrupt metadata cannot ask for gigabytes.
                throw new InvalidShardException("token shard " + shardName + " declares " + declared
                        + " tokens but is only " + bytes.length + " bytes long; it is truncated; " + FIX);
            }
            int[] tokens = readTokens(shardName, reader, declared, vocabSize);
            return new TokenShard(meta.get(TokenShardFormat.KEY_TOKENIZER), vocabSize, documents, tokens);
        } catch (IOException e) {
            throw new InvalidShardException("token shard " + shardName + " is truncated or corrupt (" + e.getMessage()
                    + "); " + FIX, e);
        }
    }

    private static Schema openSchema(String shardName, ArrowFileReader reader) {
        try {
            return reader.getVectorSchemaRoot().getSchema();
        } catch (IOException | RuntimeException e) {
            // Arrow reports a missing magic number, a short file and a garbled footer in several ways.
            throw new InvalidShardException("token shard " + shardName + " is not an Arrow IPC file ("
                    + e.getMessage() + "); it was not written by `spindle prepare` or is truncated; " + FIX, e);
        }
    }

    private void checkHeader(String shardName, Schema schema, Map<String, String> meta) {
        String format = meta.get(TokenShardFormat.KEY_FORMAT);
        if (!TokenShardFormat.FORMAT.equals(format)) {
            throw new InvalidShardException("token shard " + shardName + " has " + TokenShardFormat.KEY_FORMAT + "="
                    + format + " but expected " + TokenShardFormat.FORMAT
                    + "; it is an Arrow file but not a Spindle token shard; " + FIX);
        }
        String version = meta.get(TokenShardFormat.KEY_VERSION);
        if (!TokenShardFormat.VERSION.equals(version)) {
            throw new InvalidShardException("token shard " + shardName + " has format version " + version
                    + ", which is unsupported (this Spindle reads version " + TokenShardFormat.VERSION
                    + "); use the Spindle release that wrote it or " + FIX);
        }
        String tokenizer = meta.get(TokenShardFormat.KEY_TOKENIZER);
        if (!expectedTokenizer.equals(tokenizer)) {
            throw new InvalidShardException("token shard " + shardName + " was written with tokenizer " + tokenizer
                    + " but expected " + expectedTokenizer + "; " + FIX + " with tokenizer " + expectedTokenizer);
        }
        List<Field> fields = schema.getFields();
        if (fields.size() != 1 || !TokenShardFormat.COLUMN.equals(fields.get(0).getName())
                || !new ArrowType.Int(16, true).equals(fields.get(0).getType())) {
            throw new InvalidShardException("token shard " + shardName + " must hold exactly one int16 column '"
                    + TokenShardFormat.COLUMN + "' but has " + fields + "; " + FIX);
        }
    }

    private static int[] readTokens(String shardName, ArrowFileReader reader, int declared, int vocabSize)
            throws IOException {
        int[] tokens = new int[declared];
        int n = 0;
        VectorSchemaRoot root = reader.getVectorSchemaRoot();
        while (reader.loadNextBatch()) {
            SmallIntVector column = (SmallIntVector) root.getVector(TokenShardFormat.COLUMN);
            int rows = root.getRowCount();
            if (n + (long) rows > declared) {
                throw countMismatch(shardName, declared, n + (long) rows);
            }
            for (int i = 0; i < rows; i++) {
                int token = column.get(i);
                if (token < 0 || token >= vocabSize) {
                    throw new InvalidShardException("token shard " + shardName + " holds token " + token
                            + " at position " + (n + i) + ", out of range for vocab_size " + vocabSize
                            + "; the shard is corrupt; " + FIX);
                }
                tokens[n + i] = token;
            }
            n += rows;
        }
        if (n != declared) {
            throw countMismatch(shardName, declared, n);
        }
        return tokens;
    }

    private static InvalidShardException countMismatch(String shardName, int declared, long actual) {
        return new InvalidShardException("token shard " + shardName + " declares " + declared
                + " tokens in its metadata but holds " + actual
                + "; the shard is corrupt; " + FIX);
    }

    private static int intField(String shardName, Map<String, String> meta, String key) {
        long value = longField(shardName, meta, key);
        if (value > Integer.MAX_VALUE) {
            throw new InvalidShardException("token shard " + shardName + " has " + key + "=" + value
                    + ", larger than one shard may hold; " + FIX);
        }
        return (int) value;
    }

    private static long longField(String shardName, Map<String, String> meta, String key) {
        String text = meta.get(key);
        try {
            long value = Long.parseLong(text);
            if (value >= 0) {
                return value;
            }
        } catch (NumberFormatException e) {
            // reported below together with the negative case
        }
        throw new InvalidShardException("token shard " + shardName + " has " + key + "=" + text
                + " but expected a non-negative integer; " + FIX);
    }

    @Override
    public void close() {
        allocator.close();
    }
}
