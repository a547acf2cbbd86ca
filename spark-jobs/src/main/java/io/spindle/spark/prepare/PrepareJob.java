package io.spindle.spark.prepare;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.spindle.data.sampling.DocumentSplit;
import io.spindle.data.shard.DatasetManifest;
import io.spindle.data.shard.DatasetManifest.ShardEntry;
import io.spindle.data.tokenizer.ByteTokenizer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code spindle prepare}: documents from text, JSONL or Parquet in, a token dataset out.
 *
 * <p>Executors tokenize their partitions and write shards to {@code <output>/_temporary/<job>/};
 * the driver then renames the shards of the successful task attempts to {@code train-00000.arrow},
 * {@code validation-00000.arrow}, ... (numbered in input order), removes the temporary directory,
 * and writes {@code dataset.json} last, so its presence means the dataset is complete. The output
 * must not exist or be empty: nothing that was there before is ever overwritten or deleted.
 */
public final class PrepareJob {
    private static final Logger LOG = LoggerFactory.getLogger(PrepareJob.class);
    private static final String TEMPORARY = "_temporary";

    private PrepareJob() {
    }

    /**
     * Prepares the dataset and returns its manifest.
     *
     * @throws PrepareException for a missing, empty or unusable input or a non-empty output
     */
    public static DatasetManifest run(SparkSession spark, PrepareOptions opts) throws IOException {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        Path output = new Path(opts.output());
        FileSystem fs = output.getFileSystem(conf);
        output = fs.makeQualified(output);
        checkOutputIsFree(fs, output);
        InputFormat format = InputFormat.resolve(opts.format(), opts.inputs());
        JavaRDD<String> documents = DocumentSource.read(spark, opts, format);
        LOG.info("preparing {} ({}) into {}", opts.inputs(), format, output);

        boolean outputExisted = fs.exists(output);
        Path temporary = new Path(new Path(output, TEMPORARY), UUID.randomUUID().toString());
        boolean complete = false;
        try {
            ShardWritingTask task = new ShardWritingTask(temporary.toString(), opts.validationFraction(), opts.seed(),
                    opts.shardTokens(), entries(conf));
            spark.sparkContext().setJobDescription("spindle prepare " + opts.inputs());
            List<WrittenShard> written = new ArrayList<>(documents.mapPartitionsWithIndex(task, false).collect());
            written.sort(Comparator.comparing(WrittenShard::validation)
                    .thenComparingInt(WrittenShard::partition).thenComparingInt(WrittenShard::sequence));
            checkHasTrainDocuments(opts, format, written);
            DatasetManifest manifest = publish(fs, output, opts, written);
            complete = true;
            LOG.info("prepared {}: {} train tokens in {} shards, {} validation tokens in {} shards", output,
                    manifest.trainTokens(), manifest.train().size(), manifest.validationTokens(),
                    manifest.validation().size());
            return manifest;
        } finally {
            removeTemporary(fs, output, temporary, outputExisted, complete);
        }
    }

    private static void checkOutputIsFree(FileSystem fs, Path output) throws IOException {
        if (!fs.exists(output)) {
            return;
        }
        FileStatus status = fs.getFileStatus(output);
        if (!status.isDirectory()) {
            throw new PrepareException("output " + output + " is an existing file; name a new or empty directory");
        }
        FileStatus[] entries = fs.listStatus(output);
        if (entries.length > 0) {
            throw new PrepareException("output " + output + " exists and is not empty (" + entries.length
                    + " entries, e.g. " + entries[0].getPath().getName() + "); prepare never overwrites or deletes"
                    + " data: choose a new output directory or remove this one yourself");
        }
    }

    private static void checkHasTrainDocuments(PrepareOptions opts, InputFormat format, List<WrittenShard> written) {
        long documents = written.stream().mapToLong(WrittenShard::documents).sum();
        if (documents == 0) {
            throw new PrepareException("inputs " + opts.inputs() + " hold no documents (every file is empty, or every "
                    + (format == InputFormat.TEXT ? "paragraph" : "'" + opts.textField() + "' value")
                    + " is blank or null); check the inputs, format and textField");
        }
        if (written.stream().noneMatch(shard -> !shard.validation())) {
            throw new PrepareException("all " + documents + " documents of " + opts.inputs()
                    + " went to validation (validationFraction=" + opts.validationFraction()
                    + "); add more documents or lower validationFraction");
        }
    }

    /** Renames the shards to their final names and writes the manifest, last. */
    private static DatasetManifest publish(FileSystem fs, Path output, PrepareOptions opts, List<WrittenShard> written)
            throws IOException {
        List<ShardEntry> train = new ArrayList<>();
        List<ShardEntry> validation = new ArrayList<>();
        for (WrittenShard shard : written) {
            List<ShardEntry> side = shard.validation() ? validation : train;
            String name = String.format("%s-%05d.arrow", shard.validation() ? "validation" : "train", side.size());
            rename(fs, new Path(shard.temporaryPath()), new Path(output, name));
            side.add(new ShardEntry(name, shard.tokens(), shard.documents()));
        }
        ByteTokenizer tokenizer = new ByteTokenizer();
        DatasetManifest manifest = new DatasetManifest(DatasetManifest.FORMAT, DatasetManifest.VERSION,
                tokenizer.name(), tokenizer.vocabSize(), opts.inputs(),
                new DocumentSplit(opts.validationFraction(), opts.seed()).rule(), opts.validationFraction(),
                opts.seed(), train, validation);
        Path pending = new Path(output, DatasetManifest.FILE_NAME + ".tmp");
        try (FSDataOutputStream out = fs.create(pending, false)) {
            manifest.write(out);
        }
        rename(fs, pending, new Path(output, DatasetManifest.FILE_NAME));
        return manifest;
    }

    private static void rename(FileSystem fs, Path from, Path to) throws IOException {
        if (!fs.rename(from, to)) {
            throw new IOException("cannot rename " + from + " to " + to + " (does the target exist already?)");
        }
    }

    /**
     * Deletes only what this run created: its own temporary directory, {@code _temporary} if that
     * is now empty, and on failure the output directory if this run created it and it is empty.
     */
    private static void removeTemporary(FileSystem fs, Path output, Path temporary, boolean outputExisted,
                                        boolean complete) {
        try {
            fs.delete(temporary, true);
            Path parent = temporary.getParent();
            if (fs.exists(parent) && fs.listStatus(parent).length == 0) {
                fs.delete(parent, false);
            }
            if (!complete && !outputExisted && fs.exists(output) && fs.listStatus(output).length == 0) {
                fs.delete(output, false);
            }
        } catch (IOException e) {
            LOG.warn("could not remove the temporary files under {}: {}", temporary, e.toString());
        }
    }

    private static Map<String, String> entries(Configuration conf) {
        Map<String, String> entries = new HashMap<>();
        conf.forEach(entry -> entries.put(entry.getKey(), entry.getValue()));
        return entries;
    }
}
