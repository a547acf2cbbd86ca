package io.spindle.spark.prepare;

import java.io.IOException;
import java.io.PrintStream;

import io.spindle.data.shard.DatasetManifest;
import io.spindle.data.tokenizer.ByteTokenizer;
import io.spindle.spark.config.SpindleConfig;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;

/**
 * What {@code spindle train} does before launching the ranks: use the dataset in
 * {@code data.prepared} if it is complete, or prepare it there from {@code data.source}. An
 * existing dataset prepared from other sources or with another split is refused rather than
 * silently trained on.
 */
public final class DatasetPreparation {
    private DatasetPreparation() {
    }

    public static void ensurePrepared(SparkSession spark, SpindleConfig config, PrintStream console)
            throws IOException {
        SpindleConfig.Data data = config.data();
        PrepareOptions opts = options(config);
        Path manifestPath = new Path(data.prepared(), DatasetManifest.FILE_NAME);
        FileSystem fs = manifestPath.getFileSystem(spark.sparkContext().hadoopConfiguration());
        if (fs.exists(manifestPath)) {
            DatasetManifest existing = TokenDatasetLoader.readManifest(fs, manifestPath);
            checkMatches(existing, opts);
            console.printf("Using the prepared dataset in %s (%,d train, %,d validation tokens)%n", data.prepared(),
                    existing.trainTokens(), existing.validationTokens());
            return;
        }
        console.printf("Preparing %s into %s ...%n", data.source(), data.prepared());
        DatasetManifest manifest = PrepareJob.run(spark, opts);
        console.printf("Prepared %,d train tokens (%d shards) and %,d validation tokens (%d shards)%n",
                manifest.trainTokens(), manifest.train().size(), manifest.validationTokens(),
                manifest.validation().size());
    }

    /** The prepare job's options from a config's {@code data.*} keys. */
    public static PrepareOptions options(SpindleConfig config) {
        SpindleConfig.Data d = config.data();
        return new PrepareOptions(d.source(), d.format(), d.textField(), d.prepared(), d.validationFraction(), d.seed(),
                d.shardTokens());
    }

    private static void checkMatches(DatasetManifest existing, PrepareOptions opts) {
        ByteTokenizer tokenizer = new ByteTokenizer();
        if (!tokenizer.name().equals(existing.tokenizer()) || existing.vocabSize() != tokenizer.vocabSize()) {
            // checked here too, before the driver writes anything into the run directory
            throw new PrepareException("data.prepared=" + opts.output() + " holds a dataset tokenized with "
                    + existing.tokenizer() + " (vocab " + existing.vocabSize() + ") but Spindle trains with "
                    + tokenizer.name() + " (vocab " + tokenizer.vocabSize() + "); set data.prepared to a new"
                    + " directory so that it is prepared again");
        }
        boolean same = existing.sources().equals(opts.inputs()) && existing.seed() == opts.seed()
                && existing.validationFraction() == opts.validationFraction();
        if (!same) {
            throw new PrepareException("data.prepared=" + opts.output() + " holds a dataset prepared from "
                    + existing.sources() + " (seed " + existing.seed() + ", validation fraction "
                    + existing.validationFraction() + ") but the config asks for " + opts.inputs() + " (seed "
                    + opts.seed() + ", validation fraction " + opts.validationFraction()
                    + "); set data.prepared to a new directory or remove the old dataset yourself");
        }
    }
}
