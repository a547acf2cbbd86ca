package io.spindle.spark.api;

import io.spindle.spark.SparkSessions;
import io.spindle.spark.config.ConfigLoader;
import io.spindle.spark.config.SpindleConfig;
import io.spindle.spark.train.TrainJob;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;

import java.awt.image.BufferedImage;
import java.io.File;
import java.util.Arrays;
import java.util.List;

/**
 * Spindle's API for notebooks and programs: what {@code bin/spindle train} does, callable from
 * Java (a Jupyter cell) or Scala (a Zeppelin paragraph), returning the {@link Run} to look at.
 * Overrides are the CLI's {@code --set} values: {@code "train.steps=20"}.
 *
 * <pre>{@code
 * Run run = Spindle.train("conf/tiny.conf", "train.steps=200");
 * display(run.lossChart());
 * System.out.println(run.generate("It is a truth", 200));
 * }</pre>
 */
public final class Spindle {
    private Spindle() {}

    /**
     * Trains on the session already running in this JVM (a notebook's {@code spark}), or else on a
     * session of its own, embedded {@code local[*]} unless the config sets {@code spark.master},
     * which it stops afterwards.
     */
    public static Run train(String conf, String... overrides) {
        SpindleConfig config = load(conf, overrides);
        if (SparkSession.getActiveSession().isDefined() || SparkSession.getDefaultSession().isDefined()) {
            return train(SparkSession.builder().getOrCreate(), config, false);
        }
        SparkSession own = SparkSessions.start(config, "spindle train " + config.run().name());
        try {
            return train(own, config, false);
        } finally {
            own.stop();
        }
    }

    /** Trains on {@code spark}, which stays running. */
    public static Run train(SparkSession spark, String conf, String... overrides) {
        return train(spark, load(conf, overrides), false);
    }

    /** Continues the run of {@code conf} from its newest valid checkpoint (CLI: {@code train --resume}). */
    public static Run resume(SparkSession spark, String conf, String... overrides) {
        return train(spark, load(conf, overrides), true);
    }

    /** An existing run directory (any Hadoop URI). */
    public static Run run(String dir) {
        return new Run(dir, new Configuration());
    }

    /** The validation loss curves of several runs in one chart. */
    public static BufferedImage compareValidation(String title, Run... runs) {
        return RunMetrics.validationChart(title, Arrays.stream(runs).map(Run::metrics).toArray(RunMetrics[]::new));
    }

    private static SpindleConfig load(String conf, String... overrides) {
        return ConfigLoader.load(new File(conf), List.of(overrides));
    }

    private static Run train(SparkSession spark, SpindleConfig config, boolean resume) {
        TrainJob.Summary summary;
        try {
            summary = TrainJob.run(spark, config, resume, System.out);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("training " + config.run().name() + " was interrupted; resume continues"
                    + " from the newest checkpoint in " + config.run().checkpointsDir(), e);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("training " + config.run().name() + " failed: " + e.getMessage(), e);
        }
        if (!summary.outcome().completed()) {
            throw new IllegalStateException("training " + config.run().name() + " did not complete: "
                    + summary.outcome().message());
        }
        return new Run(summary.config().run().dir(), spark.sparkContext().hadoopConfiguration());
    }
}
