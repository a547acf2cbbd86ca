package io.spindle.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.spindle.parallel.dp.DataParallel;
import io.spindle.parallel.train.TrainOutcome;
import io.spindle.spark.config.ConfigLoader;
import io.spindle.spark.config.SpindleConfig;
import io.spindle.spark.train.RankRun;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The training loop of {@code spindle train} without Spark: the same config, assembled by the same
 * {@link RankRun} into the same {@code RankTrainer}, as one rank (DP=1) in a plain JVM, writing the
 * same rows to {@code <run.dir>/metrics.jsonl}. {@code bench/spark-overhead.sh} compares its
 * {@code step_ms} with a {@code bin/spindle train} run of the same config to measure what Spark's
 * task around the loop costs per step.
 *
 * <p>Usage: {@code InProcessTraining CONF [--set key=value]...}. The dataset must already be
 * prepared at {@code data.prepared} (a {@code bin/spindle train} run prepares it); the run
 * directory must not hold checkpoints.
 */
public final class InProcessTraining {
    private static final ObjectMapper JSON = new ObjectMapper();

    private InProcessTraining() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || args.length % 2 == 0) {
            System.err.println("usage: InProcessTraining CONF [--set key=value]...");
            System.exit(2);
        }
        List<String> overrides = new ArrayList<>();
        for (int i = 1; i < args.length; i += 2) {
            if (!args[i].equals("--set")) throw new IllegalArgumentException("unknown argument " + args[i] + "; use --set key=value");
            overrides.add(args[i + 1]);
        }
        Configuration hadoopConf = new Configuration();
        SpindleConfig config = ConfigLoader.load(new File(args[0]), overrides);
        Path runDir = new Path(config.run().dir());
        FileSystem fs = runDir.getFileSystem(hadoopConf);
        if (fs.exists(new Path(config.run().checkpointsDir()))) {
            throw new IllegalArgumentException("run directory " + runDir + " already holds checkpoints; choose a fresh run.name");
        }
        Path metrics = new Path(config.run().metricsFile());
        long start = System.nanoTime();
        TrainOutcome outcome;
        try (FSDataOutputStream out = fs.create(metrics, false);
             DataParallel single = DataParallel.single()) {
            outcome = RankRun.train(config, single, hadoopConf, row -> {
                try {
                    out.write(JSON.writeValueAsString(row).getBytes(StandardCharsets.UTF_8));
                    out.write('\n');
                    out.hflush();
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot append to " + metrics, e);
                }
            });
        }
        System.out.printf(Locale.ROOT, "Finished %d steps in %.1f s in process (no Spark). Validation loss %.4f; metrics in %s%n",
                outcome.lastStep(), (System.nanoTime() - start) / 1e9, outcome.finalValLoss(), metrics);
        if (!outcome.completed()) {
            System.err.println("InProcessTraining: " + outcome.message());
            System.exit(1);
        }
    }
}
