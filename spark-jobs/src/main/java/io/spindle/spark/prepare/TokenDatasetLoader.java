package io.spindle.spark.prepare;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;

import io.spindle.data.shard.DatasetManifest;
import io.spindle.data.shard.DatasetManifest.ShardEntry;
import io.spindle.data.shard.InvalidDatasetException;
import io.spindle.data.shard.TokenDataset;
import io.spindle.data.shard.TokenShard;
import io.spindle.data.shard.TokenShardReader;
import io.spindle.data.tokenizer.ByteTokenizer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.ChecksumException;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a prepared dataset ({@code dataset.json} and its shards) from any Hadoop file system into
 * memory: train and validation streams, each its shards concatenated in manifest order. Every
 * shard is checked against the manifest (tokenizer, token and document counts), so a dataset that
 * was tampered with, half-copied or prepared with another tokenizer is refused, not trained on.
 */
public final class TokenDatasetLoader {
    private static final Logger LOG = LoggerFactory.getLogger(TokenDatasetLoader.class);
    private static final String FIX = "re-run `spindle prepare` into a new output directory";

    private TokenDatasetLoader() {
    }

    /** @throws InvalidDatasetException naming the file, the problem and the fix */
    public static TokenDataset load(String datasetDir, Configuration conf) throws IOException {
        Path dir = new Path(datasetDir);
        FileSystem fs = dir.getFileSystem(conf);
        DatasetManifest manifest = readManifest(fs, new Path(dir, DatasetManifest.FILE_NAME));
        ByteTokenizer tokenizer = new ByteTokenizer();
        if (!tokenizer.name().equals(manifest.tokenizer()) || manifest.vocabSize() != tokenizer.vocabSize()) {
            throw new InvalidDatasetException("dataset " + dir + " was prepared with tokenizer " + manifest.tokenizer()
                    + " (vocab " + manifest.vocabSize() + ") but this Spindle trains with " + tokenizer.name()
                    + " (vocab " + tokenizer.vocabSize() + "); " + FIX);
        }
        try (TokenShardReader reader = new TokenShardReader(tokenizer.name())) {
            int[] train = concatenate(fs, dir, manifest.train(), manifest.trainTokens(), reader);
            int[] validation = concatenate(fs, dir, manifest.validation(), manifest.validationTokens(), reader);
            LOG.info("loaded {}: {} train tokens, {} validation tokens", dir, train.length, validation.length);
            return new TokenDataset(manifest, train, validation);
        }
    }

    /** Reads and validates {@code dataset.json}; @throws InvalidDatasetException naming it and the fix */
    public static DatasetManifest readManifest(FileSystem fs, Path path) throws IOException {
        try (InputStream in = fs.open(path)) {
            return DatasetManifest.read(path.toString(), in);
        } catch (ChecksumException e) {
            throw damaged(path, e);
        } catch (FileNotFoundException e) {
            throw new InvalidDatasetException("no " + DatasetManifest.FILE_NAME + " in " + path.getParent()
                    + ": the dataset was never prepared there or its preparation did not finish; run `spindle prepare`"
                    + " with that output (a new or empty directory)", e);
        }
    }

    private static int[] concatenate(FileSystem fs, Path dir, List<ShardEntry> shards, long total,
                                     TokenShardReader reader) throws IOException {
        if (total > Integer.MAX_VALUE - 8) {
            throw new InvalidDatasetException("dataset " + dir + " holds " + total + " tokens in one split, more than"
                    + " one Java array can hold; prepare a smaller dataset");
        }
        int[] tokens = new int[(int) total];
        int offset = 0;
        for (ShardEntry entry : shards) {
            Path path = new Path(dir, entry.file());
            TokenShard shard = readShard(fs, path, reader);
            if (shard.tokens().length != entry.tokens() || shard.documents() != entry.documents()) {
                throw new InvalidDatasetException("token shard " + path + " holds " + shard.tokens().length
                        + " tokens and " + shard.documents() + " documents but " + DatasetManifest.FILE_NAME
                        + " lists " + entry.tokens() + " and " + entry.documents() + "; " + FIX);
            }
            System.arraycopy(shard.tokens(), 0, tokens, offset, shard.tokens().length);
            offset += shard.tokens().length;
        }
        return tokens;
    }

    /** Hadoop's own checksum (the local file system's .crc files) caught a changed or damaged file. */
    private static InvalidDatasetException damaged(Path path, ChecksumException e) {
        return new InvalidDatasetException(path + " fails the file system's checksum (" + e.getMessage() + "): it was"
                + " damaged or modified after it was written; " + FIX, e);
    }

    private static TokenShard readShard(FileSystem fs, Path path, TokenShardReader reader) throws IOException {
        try (FSDataInputStream in = fs.open(path)) {
            return reader.read(path.toString(), in);
        } catch (ChecksumException e) {
            throw damaged(path, e);
        } catch (FileNotFoundException e) {
            throw new InvalidDatasetException("token shard " + path + " listed in " + DatasetManifest.FILE_NAME
                    + " is missing; the dataset was copied incompletely; " + FIX, e);
        }
    }
}
