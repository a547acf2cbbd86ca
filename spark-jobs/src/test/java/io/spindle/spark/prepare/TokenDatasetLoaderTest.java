package io.spindle.spark.prepare;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import io.spindle.data.shard.DatasetManifest;
import io.spindle.data.shard.DatasetManifest.ShardEntry;
import io.spindle.data.shard.InvalidDatasetException;
import io.spindle.data.shard.InvalidShardException;
import io.spindle.data.shard.TokenDataset;
import io.spindle.data.shard.TokenShardWriter;
import io.spindle.data.tokenizer.ByteTokenizer;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The loader over Hadoop's local file system, with datasets written here shard by shard. */
class TokenDatasetLoaderTest {
    private static final int EOT = ByteTokenizer.END_OF_TEXT;

    @TempDir
    Path dir;

    @Test
    void concatenatesShardsInManifestOrder() throws IOException {
        // Listed out of name order on purpose: the manifest, not the file names, orders the stream.
        writeShard("train-00001.arrow", new int[] {1, 2, EOT});
        writeShard("train-00000.arrow", new int[] {3, EOT, 4, EOT});
        writeShard("validation-00000.arrow", new int[] {9, EOT});
        writeManifest(List.of(new ShardEntry("train-00001.arrow", 3, 1), new ShardEntry("train-00000.arrow", 4, 2)),
                List.of(new ShardEntry("validation-00000.arrow", 2, 1)), "byte-v1", 258);

        TokenDataset dataset = TokenDatasetLoader.load(dir.toUri().toString(), new Configuration());

        assertArrayEquals(new int[] {1, 2, EOT, 3, EOT, 4, EOT}, dataset.train());
        assertArrayEquals(new int[] {9, EOT}, dataset.validation());
    }

    @Test
    void refusesADirectoryWithoutManifest() throws IOException {
        writeShard("train-00000.arrow", new int[] {1, EOT});
        assertRefused(InvalidDatasetException.class, "no dataset.json", "run `spindle prepare`");
    }

    @Test
    void refusesAMissingShard() throws IOException {
        writeManifest(List.of(new ShardEntry("train-00000.arrow", 2, 1)), List.of(), "byte-v1", 258);
        assertRefused(InvalidDatasetException.class, "train-00000.arrow", "is missing");
    }

    @Test
    void refusesCountsThatDisagreeWithTheManifest() throws IOException {
        writeShard("train-00000.arrow", new int[] {1, EOT, 2, EOT});
        writeManifest(List.of(new ShardEntry("train-00000.arrow", 4, 1)), List.of(), "byte-v1", 258);
        assertRefused(InvalidDatasetException.class, "holds 4 tokens and 2 documents", "lists 4 and 1");
    }

    @Test
    void refusesAnotherTokenizer() throws IOException {
        writeShard("train-00000.arrow", new int[] {1, EOT});
        writeManifest(List.of(new ShardEntry("train-00000.arrow", 2, 1)), List.of(), "bpe-8k", 8_000);
        assertRefused(InvalidDatasetException.class, "tokenizer bpe-8k", "byte-v1");
    }

    @Test
    void refusesACorruptShard() throws IOException {
        Files.writeString(dir.resolve("train-00000.arrow"), "not arrow at all");
        writeManifest(List.of(new ShardEntry("train-00000.arrow", 2, 1)), List.of(), "byte-v1", 258);
        assertRefused(InvalidShardException.class, "train-00000.arrow", "not an Arrow IPC file");
    }

    private void assertRefused(Class<? extends InvalidDatasetException> type, String... parts) {
        var e = assertThrows(type, () -> TokenDatasetLoader.load(dir.toString(), new Configuration()));
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "'" + part + "' not in: " + e.getMessage());
        }
    }

    private void writeShard(String name, int[] tokens) throws IOException {
        long documents = java.util.Arrays.stream(tokens).filter(t -> t == EOT).count();
        try (TokenShardWriter writer = new TokenShardWriter(ByteTokenizer.NAME, ByteTokenizer.VOCAB_SIZE);
             OutputStream out = Files.newOutputStream(dir.resolve(name))) {
            writer.write(tokens, tokens.length, documents, out);
        }
    }

    private void writeManifest(List<ShardEntry> train, List<ShardEntry> validation, String tokenizer, int vocab)
            throws IOException {
        DatasetManifest manifest = new DatasetManifest(DatasetManifest.FORMAT, DatasetManifest.VERSION, tokenizer,
                vocab, List.of("test"), "test", 0.1, 1, train, validation);
        Files.writeString(dir.resolve(DatasetManifest.FILE_NAME), manifest.toJson());
    }
}
