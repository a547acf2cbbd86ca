package io.spindle.spark.train;

import io.spindle.parallel.checkpoint.CheckpointCatalog;
import io.spindle.parallel.net.SecretHandshake;
import io.spindle.parallel.train.TrainOutcome;
import io.spindle.spark.config.ConfigException;
import io.spindle.spark.config.ConfigLoader;
import io.spindle.spark.config.SpindleConfig;
import io.spindle.spark.fs.HadoopCheckpointStorage;
import io.spindle.spark.prepare.DatasetPreparation;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.SparkSession;
import scala.reflect.ClassTag$;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The driver of {@code spindle train}: validates the run directory, prepares the data if needed,
 * launches one barrier stage whose tasks are the training ranks, and shows their metrics live.
 */
public final class TrainJob {
    private TrainJob() {}

    /** The end of a run as the CLI reports it. */
    public record Summary(TrainOutcome outcome, SpindleConfig config, double wallSeconds) {}

    public static Summary run(SparkSession spark, SpindleConfig given, boolean resume, PrintStream console)
            throws IOException, InterruptedException {
        long start = System.nanoTime();
        Configuration hadoopConf = spark.sparkContext().hadoopConfiguration();
        // Ranks may run on other machines with other working directories: ship absolute URIs.
        SpindleConfig config = ConfigLoader.fromText(given.resolvedText(), List.of(
                "run.dir=\"" + qualify(given.run().dir(), hadoopConf) + "\"",
                "data.prepared=\"" + qualify(given.data().prepared(), hadoopConf) + "\""));
        checkLocalSlots(spark.sparkContext().master(), config.mesh().world());
        checkRunDirectory(config, resume, hadoopConf, console);
        DatasetPreparation.ensurePrepared(spark, config, console);
        writeResolvedConfig(config, hadoopConf);

        byte[] secret = SecretHandshake.newSecret();
        SparkConf sparkConf = spark.sparkContext().getConf();
        String driverHost = sparkConf.get("spark.driver.host", "localhost");
        String bindHost = sparkConf.get("spark.driver.bindAddress", driverHost);
        boolean terminal = System.console() != null;
        ProgressReporter progress = new ProgressReporter(console, terminal, config.train().steps(),
                config.train().logEvery());
        int world = config.mesh().world();
        console.printf("Training %s (%s, %,d parameters) for %d steps on %s, %d rank(s); run dir %s%n",
                config.run().name(), config.model().flavor(), config.model().parameterCount(), config.train().steps(),
                spark.sparkContext().master(), world, config.run().dir());
        TrainOutcome[] outcomes;
        try (MetricsLog log = new MetricsLog(config.run().metricsFile(), hadoopConf);
             MetricsServer server = new MetricsServer(bindHost, secret, row -> {
                 try {
                     log.append(row);
                 } catch (IOException e) {
                     throw new java.io.UncheckedIOException("cannot append to " + config.run().metricsFile(), e);
                 }
                 progress.onRow(row);
             })) {
            List<Integer> ranks = IntStream.range(0, world).boxed().collect(Collectors.toList());
            RDD<Integer> rdd = new JavaSparkContext(spark.sparkContext()).parallelize(ranks, world).rdd();
            spark.sparkContext().setJobDescription("spindle train " + config.run().name());
            Object collected = rdd.barrier()
                    .mapPartitions(new TrainTask(config.resolvedText(), driverHost, server.port(), secret), false,
                            ClassTag$.MODULE$.apply(TrainOutcome.class))
                    .collect();
            outcomes = (TrainOutcome[]) collected;
            server.awaitConnectionsClosed(10_000);
        } finally {
            progress.finish();
        }
        return new Summary(outcomes[0], config, (System.nanoTime() - start) / 1e9);
    }

    /**
     * A barrier stage needs a task slot per rank at once; a local master with fewer threads would
     * make Spark wait and then fail the stage, so refuse it here with the fix. Cluster masters are
     * left to Spark, whose slots this driver cannot know before executors register.
     */
    static void checkLocalSlots(String master, int world) {
        Matcher m = LOCAL_MASTER.matcher(master);
        if (!m.matches()) return;
        String threads = m.group(1);
        int slots = threads == null ? 1
                : threads.equals("*") ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(threads);
        if (slots < world) {
            throw new ConfigException("spark.master=" + master + " runs " + slots + " task(s) at a time but the mesh"
                    + " needs " + world + " ranks at once (mesh.dp × mesh.tp); set spark.master=\"local[" + world
                    + "]\" or lower mesh.dp");
        }
    }

    private static final Pattern LOCAL_MASTER = Pattern.compile("local(?:\\[(\\d+|\\*)(?:,\\d+)?])?");

    private static void checkRunDirectory(SpindleConfig config, boolean resume, Configuration hadoopConf,
                                          PrintStream console) throws IOException {
        CheckpointCatalog catalog = new CheckpointCatalog(
                new HadoopCheckpointStorage(config.run().checkpointsDir(), hadoopConf));
        List<Long> steps = catalog.completeSteps();
        if (!resume && !steps.isEmpty()) {
            throw new ConfigException("run directory " + config.run().dir() + " already holds checkpoints (newest: step "
                    + steps.get(steps.size() - 1) + "); pass --resume to continue that run, or choose another"
                    + " run.name / run.dir to start a new one. Nothing was changed.");
        }
        if (resume && steps.isEmpty()) {
            console.println("--resume: no checkpoint in " + config.run().checkpointsDir() + " yet; starting at step 0");
        } else if (resume) {
            console.println("--resume: continuing from the newest valid checkpoint in " + config.run().checkpointsDir());
        }
    }

    private static void writeResolvedConfig(SpindleConfig config, Configuration hadoopConf) throws IOException {
        Path path = new Path(config.run().resolvedConfigFile());
        FileSystem fs = path.getFileSystem(hadoopConf);
        try (FSDataOutputStream out = fs.create(path, true)) {
            out.write(config.resolvedText().getBytes(StandardCharsets.UTF_8));
        }
    }

    static String qualify(String uri, Configuration hadoopConf) throws IOException {
        Path p = new Path(uri);
        return p.getFileSystem(hadoopConf).makeQualified(p).toString();
    }
}
