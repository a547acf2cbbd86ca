package io.spindle.it;

import io.spindle.parallel.checkpoint.CheckpointCatalog;
import io.spindle.parallel.checkpoint.CheckpointContent;
import io.spindle.spark.fs.HadoopCheckpointStorage;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.spindle.it.Submission.losses;
import static io.spindle.it.Submission.metrics;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Data-parallel training on a real Spark standalone cluster: a Master and two one-core Workers in
 * their own JVMs, the driver in a spark-submit JVM, two executor JVMs, and the ranks' TCP ring
 * between those executors. Run alone with {@code mvn -pl it -am verify -Dgroups=cluster}.
 *
 * <p>Tolerances: the DP=2 run's per-step losses are within 1e-5 relative of DP=1 in this JVM (the
 * global batch is summed in another order, so not bit for bit); a run whose executor is killed and
 * whose stage is relaunched ends bit-identical to the uninterrupted DP=2 run (same reduction order,
 * exact resume), compared tensor by tensor in their final checkpoints.
 */
@Tag("cluster")
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class DataParallelClusterTest {
    private static final int STEPS = 32;
    private static final int CHECKPOINT_EVERY = 8;
    private static final long RUN_TIMEOUT_MIN = Submission.RUN_TIMEOUT_MIN;

    @TempDir
    static Path dir;
    static StandaloneCluster cluster;
    static Path corpus;
    private static Path uninterrupted;
    private static final List<Process> DRIVERS = new ArrayList<>();

    @RegisterExtension
    static final TestWatcher CLUSTER_LOGS_ON_FAILURE = new TestWatcher() {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            if (cluster != null) System.err.println("Cluster logs after " + context.getDisplayName() + ":\n" + cluster.logs());
        }
    };

    @BeforeAll
    static void startCluster() throws IOException, InterruptedException {
        corpus = dir.resolve("corpus.txt");
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 300; i++) {
            text.append("Paragraph ").append(i).append(": it is a truth universally acknowledged, that a single man")
                    .append(" in possession of a good fortune, must be in want of a wife.\n\n");
        }
        Files.writeString(corpus, text.toString());
        cluster = StandaloneCluster.start(dir.resolve("cluster"), 2, 1);
    }

    /** A test that failed half-way may leave its driver running; it must not outlive the test. */
    @AfterEach
    void stopDrivers() throws InterruptedException {
        for (Process driver : DRIVERS) {
            if (driver.isAlive()) driver.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
        DRIVERS.clear();
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) cluster.close();
    }

    /**
     * A model small enough that a step takes milliseconds: the test is about processes, sockets and
     * checkpoints, not learning. Every run shares one prepared dataset (prepared by the first).
     */
    private static List<String> trainArgs(String runDir, String... extra) {
        List<String> args = new ArrayList<>(List.of("train", Paths.get("..", "conf", "tiny.conf")
                        .toAbsolutePath().toString(),
                "--set", "run.dir=" + runDir, "--set", "data.source=" + corpus.toUri(),
                "--set", "data.validationFraction=0.1",
                "--set", "model.dModel=32", "--set", "model.layers=1", "--set", "model.heads=2",
                "--set", "model.ffnHidden=64", "--set", "model.maxSeq=32",
                "--set", "train.seq=32", "--set", "train.batch=4", "--set", "train.steps=" + STEPS,
                "--set", "train.warmupSteps=2", "--set", "train.evalEvery=" + STEPS, "--set", "train.evalBatches=1",
                "--set", "train.checkpointEvery=" + CHECKPOINT_EVERY, "--set", "train.logEvery=4",
                "--set", "parallel.dp=2",
                "--set", "parallel.retryBackoffSeconds=1", "--no-sample"));
        args.addAll(Arrays.asList(extra));
        return args;
    }

    private static Path runDir(String name) {
        return dir.resolve("runs").resolve(name);
    }

    private static List<String> sharedData() {
        return List.of("--set", "data.prepared=" + dir.resolve("prepared").toUri());
    }

    private static Submission submit(String name, List<String> trainArgs) throws IOException {
        Submission run = Submission.start(cluster, dir, name, List.of(), trainArgs);
        DRIVERS.add(run.process());
        return run;
    }

    /** The run directory of the DP=2 run without faults, shared by the tests that compare against it. */
    private static synchronized Path uninterruptedRun() throws IOException, InterruptedException {
        if (uninterrupted == null) {
            Path runDir = runDir("uninterrupted");
            List<String> args = trainArgs(runDir.toUri().toString());
            args.addAll(sharedData());
            String output = submit("uninterrupted", args).awaitSuccess();
            assertTrue(output.contains("on " + cluster.masterUrl() + ", 2 rank(s)"), output);
            assertTrue(output.contains("Finished " + STEPS + " steps"), output);
            uninterrupted = runDir;
        }
        return uninterrupted;
    }

    @Test
    void twoRanksOnTwoExecutorsTrainLikeOneRankInProcess() throws Exception {
        Path runDir = uninterruptedRun();
        double[] onCluster = losses(metrics(runDir.resolve("metrics.jsonl")));
        assertEquals(STEPS, onCluster.length);

        // DP=1 from the very config the cluster run resolved, in this JVM
        double[] reference = InProcessReference.losses(runDir, dir.resolve("single"));
        double maxRelative = InProcessReference.maxRelativeDifference("standalone cluster DP=2 vs in-process DP=1",
                onCluster, reference);
        assertTrue(maxRelative <= 1e-5, "per-step losses within 1e-5 relative: " + maxRelative);
        assertTrue(reference[STEPS - 1] < reference[0], "the run learns");
    }

    @Test
    void anExecutorKilledMidRunIsRelaunchedFromTheLastCheckpointAndEndsBitIdentical() throws Exception {
        Path reference = uninterruptedRun();
        Path runDir = runDir("killed");
        List<String> args = trainArgs(runDir.toUri().toString());
        args.addAll(sharedData());
        Submission run = submit("killed", args);
        Path checkpoints = runDir.resolve("checkpoints");
        List<ProcessHandle> executors = awaitExecutors(run, 2);
        awaitFile(run, checkpoints.resolve("step-" + CHECKPOINT_EVERY + "/manifest.json"));

        // Freeze both ranks so the kill lands mid-run however fast the steps are, then kill one
        // executor outright (as a lost machine would) and let the other notice.
        signal("STOP", executors);
        try {
            assertFalse(Files.exists(checkpoints.resolve("step-" + STEPS + "/manifest.json")),
                    "the run finished before an executor could be killed; give it more steps");
            ProcessHandle victim = executors.get(0);
            System.out.println("killing executor pid " + victim.pid() + " after the checkpoint of step "
                    + CHECKPOINT_EVERY);
            signal("KILL", List.of(victim));
        } finally {
            signal("CONT", executors);
        }
        String output = run.awaitSuccess();
        output.lines().filter(l -> l.startsWith("Attempt ") || l.startsWith("Relaunching") || l.contains("[resume"))
                .forEach(l -> System.out.println("driver: " + l));

        Matcher relaunch = Pattern.compile("Relaunching in 1 s as attempt 2/3, resuming from the checkpoint of step"
                + " (\\d+)").matcher(output);
        assertTrue(output.contains("Attempt 1/3 of the training stage failed: rank "), output);
        assertTrue(relaunch.find(), output);
        long resumedAt = Long.parseLong(relaunch.group(1));
        assertTrue(resumedAt >= CHECKPOINT_EVERY && resumedAt < STEPS, "resumed at " + resumedAt);
        assertTrue(output.contains("Finished " + STEPS + " steps"), output);

        List<Map<String, Object>> rows = metrics(runDir.resolve("metrics.jsonl"));
        assertTrue(rows.stream().anyMatch(r -> "relaunch".equals(r.get("event"))
                && ((Number) r.get("step")).longValue() == resumedAt), "a relaunch row in metrics.jsonl");
        assertTrue(rows.stream().anyMatch(r -> "resume".equals(r.get("event"))
                && ((Number) r.get("step")).longValue() == resumedAt), "the relaunched ranks resumed");
        assertArrayEquals(losses(metrics(reference.resolve("metrics.jsonl"))), losses(rows), 0.0,
                "every step's loss (the last row for a step repeated after the resume) equals the uninterrupted run's");

        CheckpointContent expected = checkpoint(reference.toUri().toString(), STEPS);
        CheckpointContent actual = checkpoint(runDir.toUri().toString(), STEPS);
        assertBitIdentical(expected.model(), actual.model(), "parameter");
        assertBitIdentical(expected.optimizer(), actual.optimizer(), "optimizer state");
    }

    @Test
    void moreRanksThanTheClusterHasSlotsAreRefusedBeforeAnyWork() throws Exception {
        Path runDir = runDir("too-many-ranks");
        Submission run = submit("too-many-ranks", trainArgs(runDir.toUri().toString(),
                "--set", "parallel.dp=3", "--set", "train.batch=6", "--set", "parallel.timeoutSeconds=5"));
        assertTrue(run.process().waitFor(RUN_TIMEOUT_MIN, TimeUnit.MINUTES), run.output());
        String output = run.output();
        assertEquals(2, run.process().exitValue(), "a usage error: " + output);
        output.lines().filter(l -> l.startsWith("spindle train:")).forEach(l -> System.out.println("driver: " + l));
        assertTrue(output.contains("task slot(s) after waiting 5 s") && output.contains("parallel.dp × parallel.tp = 3"
                + " ranks as one barrier stage") && output.contains("lower parallel.dp"), output);
        assertFalse(Files.exists(runDir), "nothing was prepared or written");
    }

    @Test
    void aRunDirectoryOnHdfsHoldsCheckpointsThatAResumeReads() throws Exception {
        Configuration conf = new Configuration();
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, dir.resolve("minidfs").toString());
        try (MiniDFSCluster hdfs = new MiniDFSCluster.Builder(conf).numDataNodes(1).build()) {
            hdfs.waitActive();
            String runDir = hdfs.getURI().toString() + "/runs/hdfs";
            // data.prepared defaults to <run.dir>/data: the shards are written to and read from HDFS too
            Submission first = submit("hdfs-first", trainArgs(runDir,
                    "--set", "train.steps=8", "--set", "train.checkpointEvery=4"));
            first.awaitSuccess();
            FileSystem fs = hdfs.getFileSystem();
            assertTrue(fs.exists(new org.apache.hadoop.fs.Path("/runs/hdfs/checkpoints/step-8/manifest.json")));
            assertTrue(fs.exists(new org.apache.hadoop.fs.Path("/runs/hdfs/data/dataset.json")));

            Submission resumed = submit("hdfs-resume", trainArgs(runDir,
                    "--set", "train.steps=12", "--set", "train.checkpointEvery=4", "--resume"));
            String output = resumed.awaitSuccess();
            assertTrue(output.contains("--resume: continuing from the newest valid checkpoint in hdfs://"), output);
            assertTrue(output.contains("Finished 12 steps"), output);

            List<Map<String, Object>> rows;
            try (InputStream in = fs.open(new org.apache.hadoop.fs.Path("/runs/hdfs/metrics.jsonl"))) {
                rows = metrics(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
            assertTrue(rows.stream().anyMatch(r -> "resume".equals(r.get("event"))
                    && ((Number) r.get("step")).longValue() == 8), "the second run resumed from the HDFS checkpoint");
            assertEquals(12, losses(rows).length, "steps 1-8, then 9-12 after the resume");
            CheckpointContent last = checkpoint(runDir, 12); // verifies every file's and tensor's CRC32C on HDFS
            assertEquals(2, last.dataParallel());
        }
    }

    /** Polls tightly: the caller acts on the file's appearance while the run goes on. */
    private static void awaitFile(Submission run, Path file) throws IOException, InterruptedException {
        long deadline = System.currentTimeMillis() + TimeUnit.MINUTES.toMillis(RUN_TIMEOUT_MIN);
        while (!Files.exists(file)) {
            if (!run.process().isAlive()) fail("the driver exited before " + file + " appeared:\n" + run.output());
            if (System.currentTimeMillis() > deadline) fail("no " + file + " in " + RUN_TIMEOUT_MIN + " minutes:\n" + run.output());
            Thread.sleep(2);
        }
    }

    private static List<ProcessHandle> awaitExecutors(Submission run, int count) throws IOException, InterruptedException {
        long deadline = System.currentTimeMillis() + TimeUnit.MINUTES.toMillis(RUN_TIMEOUT_MIN);
        List<ProcessHandle> executors = cluster.executors();
        while (executors.size() < count) {
            if (!run.process().isAlive()) fail("the driver exited before " + count + " executors ran:\n" + run.output());
            if (System.currentTimeMillis() > deadline) fail("only " + executors + " executors:\n" + run.output());
            Thread.sleep(100);
            executors = cluster.executors();
        }
        assertEquals(count, executors.size(), "one executor per worker: " + executors);
        return executors;
    }

    /** One {@code kill} for all of them, so they stop at nearly the same instant. */
    private static void signal(String signal, List<ProcessHandle> processes) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("kill", "-" + signal));
        for (ProcessHandle p : processes) {
            if (p.isAlive()) cmd.add(Long.toString(p.pid()));
        }
        if (cmd.size() == 2) return;
        Process kill = new ProcessBuilder(cmd).inheritIO().start();
        assertTrue(kill.waitFor(10, TimeUnit.SECONDS), String.join(" ", cmd) + " did not return");
    }

    private static CheckpointContent checkpoint(String runDir, long step) throws IOException {
        return new CheckpointCatalog(new HadoopCheckpointStorage(runDir + "/checkpoints", new Configuration()))
                .load(step);
    }

    private static void assertBitIdentical(Map<String, INDArray> expected, Map<String, INDArray> actual, String what) {
        assertEquals(new TreeMap<>(expected).keySet(), new TreeMap<>(actual).keySet());
        for (Map.Entry<String, INDArray> e : expected.entrySet()) {
            assertArrayEquals(e.getValue().shape(), actual.get(e.getKey()).shape(), what + " " + e.getKey());
            assertArrayEquals(rawBits(e.getValue()), rawBits(actual.get(e.getKey())),
                    what + " " + e.getKey() + " is bit-identical");
        }
    }

    private static int[] rawBits(INDArray a) {
        float[] values = a.dup().data().asFloat();
        int[] bits = new int[values.length];
        for (int i = 0; i < values.length; i++) bits[i] = Float.floatToRawIntBits(values[i]);
        return bits;
    }
}
