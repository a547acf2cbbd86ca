package io.spindle.spark.train;

import io.spindle.parallel.checkpoint.CheckpointCatalog;
import io.spindle.parallel.checkpoint.CorruptCheckpointException;
import io.spindle.parallel.net.SecretHandshake;
import io.spindle.parallel.train.MetricsSink;
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
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.SparkSession;
import scala.reflect.ClassTag$;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The driver of {@code spindle train}: checks that the cluster can run the ranks at once, validates
 * the run directory, prepares the data if needed, launches one barrier stage whose tasks are the
 * training ranks (relaunching it from the newest checkpoint when it fails), and shows their
 * metrics live.
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
        ClusterPreflight.check(spark.sparkContext(), config.parallel(), console);
        ClusterPreflight.checkMemory(spark.sparkContext(), config);
        CheckpointCatalog catalog = new CheckpointCatalog(
                new HadoopCheckpointStorage(config.run().checkpointsDir(), hadoopConf));
        checkRunDirectory(config, catalog, resume, console);
        DatasetPreparation.ensurePrepared(spark, config, console);
        writeResolvedConfig(config, hadoopConf);

        boolean terminal = System.console() != null;
        ProgressReporter progress = new ProgressReporter(console, terminal, config.train().steps(),
                config.train().logEvery());
        console.printf("Training %s (%s, %,d parameters) for %d steps on %s, %d rank(s); run dir %s%n",
                config.run().name(), config.model().flavor(), config.model().parameterCount(), config.train().steps(),
                spark.sparkContext().master(), config.parallel().world(), config.run().dir());
        TrainOutcome[] outcomes;
        // one log for every launch: a relaunched stage keeps appending to the same metrics.jsonl
        try (MetricsLog log = new MetricsLog(config.run().metricsFile(), hadoopConf)) {
            MetricsSink toLog = row -> {
                try {
                    log.append(row);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot append to " + config.run().metricsFile(), e);
                }
            };
            MetricsSink toLogAndConsole = row -> {
                toLog.emit(row);
                progress.onRow(row);
            };
            StageAttempts attempts = new StageAttempts(config.parallel(), () -> newestStep(catalog), toLog, console,
                    d -> Thread.sleep(d.toMillis()));
            outcomes = attempts.run(attempt -> launch(spark, config, attempt, toLogAndConsole, console));
        } finally {
            progress.finish();
        }
        return new Summary(outcomes[0], config, (System.nanoTime() - start) / 1e9);
    }

    /**
     * A new random secret per launch. Replaced only by JobSecretTest, which must know the secret to
     * prove that it appears nowhere a run leaves text (logs, metrics, Spark's event log and UI conf).
     */
    static volatile java.util.function.Supplier<byte[]> jobSecrets = SecretHandshake::newSecret;

    /** Beyond parallel.timeoutSeconds: time for Spark to report the killed tasks of a failed launch. */
    private static final long STOP_GRACE_MS = 30_000;
    /** After the last attempt: time for the listener bus to deliver the failed tasks' reasons. */
    private static final long LAST_ATTEMPT_REPORT_MS = 5_000;

    /**
     * One launch of the barrier stage, with its own job secret and metrics server. On failure it
     * waits for the launch's remaining tasks to stop (Spark kills them, but a rank only notices at
     * its next collective or within parallel.timeoutSeconds), so that no rank of this launch still
     * writes a checkpoint when the next one starts.
     */
    private static TrainOutcome[] launch(SparkSession spark, SpindleConfig config, int attempt, MetricsSink rows,
                                         PrintStream console)
            throws IOException, InterruptedException, LaunchFailedException {
        SparkContext sc = spark.sparkContext();
        SpindleConfig.Parallel parallel = config.parallel();
        int world = parallel.world();
        if (attempt > 1 && !sc.isLocal()) {
            // a lost executor's replacement registers some seconds after the loss
            Duration wait = Duration.ofSeconds(parallel.timeoutSeconds());
            ClusterPreflight.Slots slots = ClusterPreflight.awaitSlots(sc, world, wait, console);
            if (slots.total() < world) {
                throw new LaunchFailedException("only " + slots.total() + " of " + world + " task slots were"
                        + " registered after waiting " + wait.toSeconds() + " s " + slots.executors(), null, null);
            }
        }
        byte[] secret = jobSecrets.get();
        SparkConf sparkConf = sc.getConf();
        String driverHost = sparkConf.get("spark.driver.host", "localhost");
        String bindHost = sparkConf.get("spark.driver.bindAddress", driverHost);
        String group = "spindle-train-" + config.run().name() + "-" + UUID.randomUUID() + "-attempt-" + attempt;
        StageWatch watch = new StageWatch(group);
        sc.addSparkListener(watch);
        try (MetricsServer server = new MetricsServer(bindHost, secret, rows::emit)) {
            List<Integer> ranks = IntStream.range(0, world).boxed().collect(Collectors.toList());
            RDD<Integer> rdd = new JavaSparkContext(sc).parallelize(ranks, world).rdd();
            sc.setJobGroup(group, "spindle train " + config.run().name() + " (attempt " + attempt + "/"
                    + parallel.attempts() + ")", true);
            try {
                Object collected = rdd.barrier()
                        .mapPartitions(new TrainTask(config.resolvedText(), driverHost, server.port(), secret), false,
                                ClassTag$.MODULE$.apply(TrainOutcome.class))
                        .collect();
                server.awaitConnectionsClosed(10_000);
                return (TrainOutcome[]) collected;
            } catch (Exception sparkError) {
                // collect() throws SparkException (checked, but undeclared in Scala) when the stage fails
                // Before a relaunch, wait until no rank of this launch can still write a checkpoint; after the
                // last attempt only long enough to learn which rank failed (a frozen rank may never end).
                long waitMs = attempt < parallel.attempts() ? parallel.timeoutSeconds() * 1000L + STOP_GRACE_MS
                        : LAST_ATTEMPT_REPORT_MS;
                boolean stopped = watch.awaitAllTasksEnded(waitMs);
                throw LaunchFailedException.from(watch.failures(), stopped ? List.of() : watch.stillRunning(),
                        sparkError);
            } finally {
                sc.clearJobGroup();
            }
        } finally {
            sc.removeSparkListener(watch);
        }
    }

    private static long newestStep(CheckpointCatalog catalog) throws IOException {
        List<Long> steps = catalog.completeSteps();
        return steps.isEmpty() ? -1 : steps.get(steps.size() - 1);
    }

    private static void checkRunDirectory(SpindleConfig config, CheckpointCatalog catalog, boolean resume,
                                          PrintStream console) throws IOException {
        List<Long> steps = catalog.completeSteps();
        if (!resume && !steps.isEmpty()) {
            throw new ConfigException("run directory " + config.run().dir() + " already holds checkpoints (newest: step "
                    + steps.get(steps.size() - 1) + "); pass --resume to continue that run, or choose another"
                    + " run.name / run.dir to start a new one. Nothing was changed.");
        }
        if (resume && steps.isEmpty()) {
            console.println("--resume: no checkpoint in " + config.run().checkpointsDir() + " yet; starting at step 0");
        } else if (resume) {
            checkResumable(config, catalog, steps.get(steps.size() - 1));
            console.println("--resume: continuing from the newest valid checkpoint in " + config.run().checkpointsDir());
        }
    }

    /**
     * A checkpoint of another model cannot be resumed; refusing it here, before the driver writes
     * config.resolved.conf or metrics, leaves the run directory exactly as it was.
     */
    private static void checkResumable(SpindleConfig config, CheckpointCatalog catalog, long step) throws IOException {
        SpindleConfig saved;
        try {
            saved = ConfigLoader.fromText(catalog.manifest(step).config());
        } catch (CorruptCheckpointException | ConfigException e) {
            return; // the ranks skip a damaged checkpoint with a warning and fall back to an older one
        }
        List<String> differences = differences(saved.model(), config.model());
        if (!differences.isEmpty()) {
            throw new ConfigException("--resume: the checkpoint of step " + step + " in " + config.run().checkpointsDir()
                    + " was written for another model (" + String.join(", ", differences) + "; checkpoint → config)"
                    + "; resume with the run's own settings (its config.resolved.conf) or start a new run with"
                    + " another run.name / run.dir. Nothing was changed.");
        }
    }

    /** "model.dModel 32 → 64" for each field in which two model configs differ. */
    static List<String> differences(Record saved, Record wanted) {
        List<String> out = new java.util.ArrayList<>();
        for (java.lang.reflect.RecordComponent c : saved.getClass().getRecordComponents()) {
            try {
                Object a = c.getAccessor().invoke(saved);
                Object b = c.getAccessor().invoke(wanted);
                if (!java.util.Objects.equals(a, b)) out.add("model." + c.getName() + " " + a + " → " + b);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("a record's accessor is public", e);
            }
        }
        return out;
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
