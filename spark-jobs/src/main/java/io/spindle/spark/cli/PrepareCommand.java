package io.spindle.spark.cli;

import io.spindle.data.shard.DatasetManifest;
import io.spindle.spark.SparkSessions;
import io.spindle.spark.config.ConfigLoader;
import io.spindle.spark.config.SpindleConfig;
import io.spindle.spark.prepare.PrepareJob;
import io.spindle.spark.prepare.DatasetPreparation;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "prepare", mixinStandardHelpOptions = true,
        description = "Tokenize data.source (text, JSONL or Parquet on any Hadoop path) into Arrow token shards in"
                + " data.prepared, with a deterministic train/validation split. Refuses a non-empty output.")
public final class PrepareCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "CONF", description = "config file whose data.* keys say what to prepare")
    File conf;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "override a config key (repeatable)")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--if-missing", description = "do nothing when data.prepared already holds a complete dataset"
            + " prepared with the same data.* settings (a scheduler's retry after a completed prepare)")
    boolean ifMissing;

    @Override
    public Integer call() throws Exception {
        SpindleConfig config = ConfigLoader.load(conf, overrides);
        try (SparkSession spark = SparkSessions.start(config, "spindle prepare " + config.run().name())) {
            if (ifMissing) {
                DatasetPreparation.ensurePrepared(spark, config, System.out);
                return ExitCodes.OK;
            }
            DatasetManifest manifest = PrepareJob.run(spark, DatasetPreparation.options(config));
            System.out.printf("Prepared %s: %,d train tokens in %d shard(s), %,d validation tokens in %d shard(s)%n",
                    config.data().prepared(), manifest.trainTokens(), manifest.train().size(),
                    manifest.validationTokens(), manifest.validation().size());
        }
        return ExitCodes.OK;
    }
}
