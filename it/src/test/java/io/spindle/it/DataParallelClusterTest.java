package io.spindle.it;

import io.spindle.parallel.checkpoint.CheckpointCatalog;
import io.spindle.parallel.checkpoint.CheckpointContent;
import io.spindle.parallel.dp.DataParallel;
import io.spindle.spark.config.ConfigLoader;
import io.spindle.spark.config.SpindleConfig;
import io.spindle.spark.fs.HadoopCheckpointStorage;
import io.spindle.spark.train.RankRun;
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
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.spindle.it.TinyRun.losses;
import static io.spindle.it.TinyRun.metrics;
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
        corpus = TinyRun.corpus(dir);
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
        List<String> args = new ArrayList<>(TinyRun.trainArgs(corpus, runDir, STEPS, CHECKPOINT_EVERY,
                "--set", "parallel.dp=2", "--set", "parallel.retryBackoffSeconds=1", "--no-sample"));
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
        double[] onCluster = TinyRun.losses(TinyRun.metrics(runDir.resolve("metrics.jsonl")));
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

        List<Map<String, Object>> rows = TinyRun.metrics(runDir.resolve("metrics.jsonl"));
        assertTrue(rows.stream().anyMatch(r -> "relaunch".equals(r.get("event"))
                && ((Number) r.get("step")).longValue() == resumedAt), "a relaunch row in metrics.jsonl");
        assertTrue(rows.stream().anyMatch(r -> "resume".equals(r.get("event"))
                && ((Number) r.get("step")).longValue() == resumedAt), "the relaunched ranks resumed");
        TinyRun.assertEndsAsReference(reference, runDir, STEPS);
    }

    /**
     * The "executor killed at a random step, several seeds", in one run to share its cost:
     * each seed picks a step in its own window of the run and which executor dies; the test freezes
     * both executors once a checkpoint at or past that step exists, kills the chosen one with
     * SIGKILL and lets the driver relaunch. After the three kills the run must end bit-identical to
     * the uninterrupted one. Checkpoints every step, so "the last complete checkpoint" is the step
     * the kill landed on or the one before.
     */
    @Test
    @Tag("faults")
    void executorsKilledAtRandomStepsForSeveralSeedsAreRelaunchedAndTheRunEndsBitIdentical() throws Exception {
        Path reference = uninterruptedRun();
        Path runDir = runDir("random-kills");
        List<String> args = trainArgs(runDir.toUri().toString(), "--set", "train.checkpointEvery=1",
                "--set", "train.keepCheckpoints=2", "--set", "parallel.attempts=4");
        args.addAll(sharedData());
        Submission run = submit("random-kills", args);
        Path checkpoints = runDir.resolve("checkpoints");
        long[] seeds = {1, 2, 3};
        List<String> kills = new ArrayList<>();
        for (int i = 0; i < seeds.length; i++) {
            java.util.Random random = new java.util.Random(seeds[i]);
            int window = (STEPS - 4) / seeds.length;
            long target = 2 + (long) i * window + random.nextInt(window);
            List<ProcessHandle> executors = awaitExecutors(run, 2);
            awaitCheckpointAtLeast(run, checkpoints, target);
            signal("STOP", executors);
            long at;
            try {
                at = TinyRun.newestCheckpoint(checkpoints);
                assertTrue(at < STEPS, "the run finished before kill " + (i + 1) + "; give it more steps");
                ProcessHandle victim = executors.get(random.nextInt(executors.size()));
                signal("KILL", List.of(victim));
                awaitGone(List.of(victim));
                kills.add("seed " + seeds[i] + ": target step " + target + ", killed pid " + victim.pid()
                        + " with the newest checkpoint at step " + at);
            } finally {
                signal("CONT", executors);
            }
        }
        String output = run.awaitSuccess();
        kills.forEach(k -> System.out.println("random kill " + k));
        output.lines().filter(l -> l.startsWith("Attempt ") || l.startsWith("Relaunching"))
                .forEach(l -> System.out.println("driver: " + l));
        for (int attempt = 2; attempt <= 4; attempt++) {
            assertTrue(output.contains("as attempt " + attempt + "/4, resuming from the checkpoint of step"), output);
        }
        List<Map<String, Object>> rows = TinyRun.metrics(runDir.resolve("metrics.jsonl"));
        assertEquals(3, TinyRun.events(rows, "relaunch"), "three relaunches");
        TinyRun.assertEndsAsReference(reference, runDir, STEPS);
    }

    /**
     * A rank that stops answering (its executor JVM paused with SIGSTOP, as a machine stuck in swap
     * or a long GC would) fails the job within parallel.timeoutSeconds plus Spark's reporting, with a
     * message naming the silent rank and its host, instead of hanging.
     */
    @Test
    @Tag("faults")
    void aStalledRankFailsTheJobWithinTheTimeoutNamingRankAndHost() throws Exception {
        int timeoutSeconds = 5;
        Path runDir = runDir("stalled");
        // parallel.timeoutSeconds also bounds the wait for executors to register, too short for a loaded
        // machine: Spark itself waits for both executors' cores before the driver checks its slots
        List<String> args = trainArgs(runDir.toUri().toString(), "--set", "train.steps=100000",
                "--set", "train.evalEvery=100000", "--set", "parallel.attempts=1",
                "--set", "parallel.timeoutSeconds=" + timeoutSeconds, "--set", "spark.conf.\"spark.cores.max\"=2",
                "--set", "spark.conf.\"spark.scheduler.minRegisteredResourcesRatio\"=1.0",
                "--set", "spark.conf.\"spark.scheduler.maxRegisteredResourcesWaitingTime\"=300s");
        args.addAll(sharedData());
        Submission run = submit("stalled", args);
        List<ProcessHandle> executors = awaitExecutors(run, 2);
        awaitCheckpointAtLeast(run, runDir.resolve("checkpoints"), CHECKPOINT_EVERY);
        ProcessHandle frozen = executors.get(1);
        long start = System.nanoTime();
        signal("STOP", List.of(frozen));
        double seconds;
        try {
            assertTrue(run.process().waitFor(timeoutSeconds + 60, TimeUnit.SECONDS),
                    "the driver is still waiting " + (timeoutSeconds + 60) + " s after the stall:\n" + run.output());
            seconds = (System.nanoTime() - start) / 1e9;
        } finally {
            signal("CONT", List.of(frozen));
        }
        String output = run.output();
        assertEquals(1, run.process().exitValue(), output);
        String message = output.lines().filter(l -> l.startsWith("spindle train failed:")).findFirst().orElse("");
        System.out.printf("stalled rank: the driver exited %.1f s after SIGSTOP (timeout %d s): %s%n", seconds,
                timeoutSeconds, message);
        Matcher named = Pattern.compile("rank \\d of 2, ALL_REDUCE #\\d+: (received nothing from|sending to) rank (\\d)"
                + " at 127\\.0\\.0\\.1:\\d+").matcher(message);
        assertTrue(named.find() || Pattern.compile("rank \\d of 2, ALL_REDUCE #\\d+: rank (\\d) at 127\\.0\\.0\\.1:\\d+"
                + " accepted no data").matcher(message).find(), "names the stalled rank and its host: " + output);
        assertTrue(message.contains("parallel.timeoutSeconds=" + timeoutSeconds), output);
        assertTrue(seconds < timeoutSeconds + 30, "failed within the timeout plus 30 s: " + seconds);
        awaitGone(executors);
    }

    @Test
    @Tag("badinput")
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
                rows = TinyRun.metrics(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
            assertTrue(rows.stream().anyMatch(r -> "resume".equals(r.get("event"))
                    && ((Number) r.get("step")).longValue() == 8), "the second run resumed from the HDFS checkpoint");
            assertEquals(12, TinyRun.losses(rows).length, "steps 1-8, then 9-12 after the resume");
            CheckpointContent last = TinyRun.checkpoint(runDir, 12); // verifies every file's and tensor's CRC32C on HDFS
            assertEquals(2, last.dataParallel());
        }
    }

    /** Polls tightly until a complete checkpoint of at least {@code step} exists. */
    private static void awaitCheckpointAtLeast(Submission run, Path checkpoints, long step)
            throws IOException, InterruptedException {
        long deadline = System.currentTimeMillis() + TimeUnit.MINUTES.toMillis(RUN_TIMEOUT_MIN);
        while (TinyRun.newestCheckpoint(checkpoints) < step) {
            if (!run.process().isAlive()) fail("the driver exited before the checkpoint of step " + step + ":\n" + run.output());
            if (System.currentTimeMillis() > deadline) fail("no checkpoint of step " + step + ":\n" + run.output());
            Thread.sleep(2);
        }
    }

    /** Waits until the given processes have exited (a killed executor, or those of a finished application). */
    private static void awaitGone(List<ProcessHandle> processes) throws InterruptedException {
        long deadline = System.currentTimeMillis() + TimeUnit.MINUTES.toMillis(1);
        for (ProcessHandle p : processes) {
            while (p.isAlive() && System.currentTimeMillis() < deadline) Thread.sleep(100);
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

    /** The running executors of this submission's application (not those of one that just ended). */
    private static List<ProcessHandle> awaitExecutors(Submission run, int count) throws IOException, InterruptedException {
        long deadline = System.currentTimeMillis() + TimeUnit.MINUTES.toMillis(RUN_TIMEOUT_MIN);
        Pattern driverPort = Pattern.compile("Successfully started service 'sparkDriver' on port (\\d+)");
        List<ProcessHandle> executors = List.of();
        while (executors.size() < count) {
            if (!run.process().isAlive()) fail("the driver exited before " + count + " executors ran:\n" + run.output());
            if (System.currentTimeMillis() > deadline) fail("only " + executors + " executors:\n" + run.output());
            Thread.sleep(100);
            Matcher port = driverPort.matcher(run.output());
            if (port.find()) executors = cluster.executors(Integer.parseInt(port.group(1)));
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
}
