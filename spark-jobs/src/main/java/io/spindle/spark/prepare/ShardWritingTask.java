package io.spindle.spark.prepare;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import io.spindle.data.sampling.DocumentSplit;
import io.spindle.data.shard.ShardBuffer;
import io.spindle.data.shard.TokenShardWriter;
import io.spindle.data.tokenizer.ByteTokenizer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.Function2;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs on an executor for one partition of documents: tokenizes each, sends it to train or
 * validation by {@link DocumentSplit}, packs each side into shards of about {@code shardTokens}
 * tokens and writes them straight to the output file system, under the job's temporary
 * directory. File names carry the task attempt id, so a retried or speculative attempt never
 * collides with another; only the shards of the attempt whose result reaches the driver are kept.
 */
final class ShardWritingTask implements Function2<Integer, Iterator<String>, Iterator<WrittenShard>> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ShardWritingTask.class);

    private final String temporaryDir;
    private final double validationFraction;
    private final long seed;
    private final long shardTokens;
    /** Hadoop's Configuration is not serializable; its entries are (credentials, endpoints, ...). */
    private final Map<String, String> hadoopConf;

    ShardWritingTask(String temporaryDir, double validationFraction, long seed, long shardTokens,
                     Map<String, String> hadoopConf) {
        this.temporaryDir = temporaryDir;
        this.validationFraction = validationFraction;
        this.seed = seed;
        this.shardTokens = shardTokens;
        this.hadoopConf = hadoopConf;
    }

    @Override
    public Iterator<WrittenShard> call(Integer partition, Iterator<String> documents) throws IOException {
        Configuration conf = new Configuration(false);
        hadoopConf.forEach(conf::set);
        Path dir = new Path(temporaryDir);
        FileSystem fs = dir.getFileSystem(conf);
        TaskContext task = TaskContext.get();
        long attempt = task == null ? 0 : task.taskAttemptId();
        ByteTokenizer tokenizer = new ByteTokenizer();
        DocumentSplit split = new DocumentSplit(validationFraction, seed);
        ShardBuffer train = new ShardBuffer(shardTokens);
        ShardBuffer validation = new ShardBuffer(shardTokens);
        List<WrittenShard> written = new ArrayList<>();
        try (TokenShardWriter writer = new TokenShardWriter(tokenizer.name(), tokenizer.vocabSize())) {
            ShardSink sink = new ShardSink(fs, dir, partition, attempt, writer, written);
            while (documents.hasNext()) {
                String document = documents.next();
                boolean held = split.isValidation(document);
                ShardBuffer buffer = held ? validation : train;
                buffer.add(tokenizer.encodeDocument(document));
                if (buffer.isFull()) {
                    sink.flush(held, buffer);
                }
            }
            sink.flush(false, train);
            sink.flush(true, validation);
        }
        return written.iterator();
    }

    /** Writes full buffers as numbered shard files of this task attempt. */
    private static final class ShardSink {
        private final FileSystem fs;
        private final Path dir;
        private final int partition;
        private final long attempt;
        private final TokenShardWriter writer;
        private final List<WrittenShard> written;
        private int sequence;

        ShardSink(FileSystem fs, Path dir, int partition, long attempt, TokenShardWriter writer,
                  List<WrittenShard> written) {
            this.fs = fs;
            this.dir = dir;
            this.partition = partition;
            this.attempt = attempt;
            this.writer = writer;
            this.written = written;
        }

        void flush(boolean validation, ShardBuffer buffer) throws IOException {
            if (buffer.isEmpty()) {
                return;
            }
            String name = String.format("%s-p%05d-s%05d-attempt%d.arrow",
                    validation ? "validation" : "train", partition, sequence, attempt);
            Path path = new Path(dir, name);
            try (FSDataOutputStream out = fs.create(path, true)) {
                writer.write(buffer.tokens(), buffer.length(), buffer.documents(), out);
            }
            LOG.debug("wrote {} ({} tokens, {} documents)", path, buffer.length(), buffer.documents());
            written.add(new WrittenShard(validation, partition, sequence, path.toString(), buffer.length(),
                    buffer.documents()));
            sequence++;
            buffer.clear();
        }
    }
}
