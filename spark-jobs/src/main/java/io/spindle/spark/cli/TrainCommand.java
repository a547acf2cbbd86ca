package io.spindle.spark.cli;

import io.spindle.spark.SparkSessions;
import io.spindle.spark.config.ConfigLoader;
import io.spindle.spark.config.SpindleConfig;
import io.spindle.spark.generate.TextGenerator;
import io.spindle.spark.model.CheckpointModels;
import io.spindle.spark.train.TrainJob;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.File;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train a model from a HOCON or YAML config on Spark (embedded local[*] when no master is set),"
                + " then print the validation loss and a generated sample.")
public final class TrainCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "CONF", description = "config file, e.g. conf/tiny.conf")
    File conf;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "override a config key (repeatable)")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--resume", description = "continue the run from its newest valid checkpoint")
    boolean resume;

    @Option(names = "--no-sample", description = "skip the generated sample at the end")
    boolean noSample;

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        SpindleConfig config = ConfigLoader.load(conf, overrides);
        try (SparkSession spark = SparkSessions.start(config, "spindle train " + config.run().name())) {
            TrainJob.Summary summary = TrainJob.run(spark, config, resume, out);
            if (!summary.outcome().completed()) {
                System.err.println("spindle train: " + summary.outcome().message());
                return ExitCodes.RUNTIME_FAILURE;
            }
            out.printf(Locale.ROOT, "Finished %d steps in %.1f s. Validation loss %.4f nats/token (perplexity %.2f).%n",
                    summary.outcome().lastStep(), summary.wallSeconds(), summary.outcome().finalValLoss(),
                    Math.exp(summary.outcome().finalValLoss()));
            if (summary.outcome().skippedSteps() > 0) {
                out.println(summary.outcome().skippedSteps() + " step(s) had a non-finite loss or gradient and were"
                        + " skipped (train.onNonFinite=skip); metrics.jsonl marks them with non_finite_skip events");
            }
            out.println("Run directory: " + summary.config().run().dir());
            if (!noSample) {
                CheckpointModels.Loaded loaded = CheckpointModels.load(summary.config().run().dir(), List.of(),
                        spark.sparkContext().hadoopConfiguration(), System.err);
                out.println("Sample (step " + loaded.step() + ", temperature " + loaded.config().generate().temperature()
                        + "):");
                out.println(TextGenerator.sample(loaded));
            }
            return ExitCodes.OK;
        }
    }
}
