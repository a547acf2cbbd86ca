package io.spindle.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Faults on embedded local Spark, through the real CLI: damaged checkpoints, a full or read-only
 * run directory during a checkpoint, non-finite losses, and a driver killed mid-run. Each test
 * prints its measured outcome (docs/reliability.md). Alone: {@code mvn -pl it -am verify -Dgroups=faults}.
 */
@Tag("faults")
class LocalFaultsTest {
    private static final int STEPS = 6;
    private static final int CHECKPOINT_EVERY = 2;

    @TempDir
    static Path dir;
    static Path corpus;
    /** An uninterrupted run of STEPS steps with checkpoints at 2, 4 and 6; the reference for the resumes. */
    static Path reference;
    static final Map<String, String> OUTCOMES = new TreeMap<>();

    @BeforeAll
    static void trainTheReference() throws IOException {
        corpus = TinyRun.corpus(dir);
        reference = dir.resolve("reference");
        SpindleCli.Result r = SpindleCli.run(args(reference));
        assertEquals(0, r.exitCode(), r.all());
    }

    @AfterAll
    static void printOutcomes() {
        OUTCOMES.forEach((name, outcome) -> System.out.println("fault [" + name + "] " + outcome));
    }

    private static String[] args(Path runDir, String... extra) {
        List<String> args = new ArrayList<>(TinyRun.trainArgs(corpus, runDir.toUri().toString(), STEPS, CHECKPOINT_EVERY,
                "--set", "train.keepCheckpoints=5", "--set", "spark.master=local[2]",
                "--set", "data.prepared=" + dir.resolve("prepared").toUri(), "--no-sample"));
        args.addAll(List.of(extra));
        return args.toArray(String[]::new);
    }

    /** The reference run to damage, without .crc files so that Spindle's own checks are what catches it. */
    private static Path copyOfReference(String name) throws IOException {
        Path copy = dir.resolve(name);
        TinyRun.copyWithoutHadoopChecksums(reference, copy);
        return copy;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"truncated", "shard deleted", "byte flipped"})
    void aDamagedNewestCheckpointIsRefusedAndResumeFallsBackToThePreviousOne(String damage) throws Exception {
        Path run = copyOfReference("damaged-" + damage.replace(' ', '-'));
        Path step6 = run.resolve("checkpoints/step-" + STEPS);
        Path shard = step6.resolve("model-00000.bin");
        switch (damage) {
            case "truncated" -> {
                try (RandomAccessFile f = new RandomAccessFile(shard.toFile(), "rw")) {
                    f.setLength(f.length() - 7);
                }
            }
            case "shard deleted" -> Files.delete(step6.resolve("optimizer-00000.bin"));
            default -> TinyRun.flipByte(shard, 1000);
        }
        String expectedCheck = switch (damage) {
            case "truncated" -> "model-00000.bin has ";
            case "shard deleted" -> "optimizer-00000.bin is missing";
            default -> "model-00000.bin fails its CRC32C check";
        };
        // the loader refuses it naming the file and the check
        SpindleCli.Result eval = SpindleCli.run("eval", step6.toString());
        assertEquals(2, eval.exitCode(), eval.all());
        assertTrue(eval.err().contains(expectedCheck), eval.all());

        // --resume falls back to step 4 with a warning, and ends exactly as the uninterrupted run
        SpindleCli.Result resumed = SpindleCli.run(args(run, "--resume"));
        assertEquals(0, resumed.exitCode(), resumed.all());
        String warning = resumed.out().lines().filter(l -> l.startsWith("warning: checkpoint")).findFirst().orElse("");
        assertTrue(warning.contains("step-" + STEPS + " is unusable") && warning.contains(expectedCheck)
                && warning.contains("falling back to the previous one"), resumed.all());
        List<Map<String, Object>> rows = TinyRun.metrics(run.resolve("metrics.jsonl"));
        assertTrue(rows.stream().anyMatch(r -> "resume".equals(r.get("event")) && ((Number) r.get("step")).intValue() == 4),
                "resumed from step 4");
        TinyRun.assertSameCheckpoint(reference, run, STEPS);
        OUTCOMES.put("checkpoint " + damage, "eval exit 2 (" + firstLine(eval.err()) + "); --resume exit 0 in "
                + resumed.millis() + " ms: " + warning);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"enospc", "readonly"})
    void aFullOrReadOnlyRunDirectoryDuringACheckpointKeepsThePreviousOneIntact(String mode) throws Exception {
        Path run = copyOfReference("disk-" + mode);
        // the reference ended at step 6; continuing to step 8 writes one more checkpoint, which fails
        Path checkpoints = run.resolve("checkpoints");
        FileTreeSnapshot before = FileTreeSnapshot.of(checkpoints);
        String faultyRun = FaultyFileSystem.SCHEME + "://" + run.toAbsolutePath();
        List<String> args = new ArrayList<>(TinyRun.trainArgs(corpus, faultyRun, 8, CHECKPOINT_EVERY,
                "--set", "train.keepCheckpoints=5", "--set", "spark.master=local[2]",
                "--set", "data.prepared=" + dir.resolve("prepared").toUri(), "--no-sample", "--resume",
                "--set", "parallel.attempts=1"));
        for (String[] kv : new String[][] {{"spark.hadoop.fs.faulty.impl", FaultyFileSystem.class.getName()},
                {"spark.hadoop.fs.faulty.impl.disable.cache", "true"}, {"spark.hadoop.fs.faulty.mode", mode},
                {"spark.hadoop.fs.faulty.failPath", "/checkpoints/step-8.tmp"}}) {
            args.addAll(List.of("--set", "spark.conf.\"" + kv[0] + "\"=" + kv[1]));
        }
        SpindleCli.Result r = SpindleCli.run(args.toArray(String[]::new));
        assertEquals(1, r.exitCode(), r.all());
        String message = r.err().lines().filter(l -> l.startsWith("spindle train failed:")).findFirst().orElse("");
        String cause = mode.equals("enospc") ? "No space left on device" : "Read-only file system";
        assertTrue(message.contains("could not write the checkpoint of step 8") && message.contains(cause)
                && message.contains("the checkpoint of step 6 is intact")
                && message.contains("Free space on the run directory's file system or make it writable")
                && message.contains("--resume"), r.all());
        assertEquals(List.of(), before.changesSince(), "the earlier checkpoints are untouched");
        assertFalse(Files.exists(checkpoints.resolve("step-8")), "no step-8");
        assertFalse(Files.exists(checkpoints.resolve("step-8.tmp")), "the partial step-8.tmp was removed");
        assertTrue(TinyRun.allFinite(TinyRun.checkpoint(run.toUri().toString(), 6).model()), "step 6 still loads");
        OUTCOMES.put("run dir " + mode + " during a checkpoint", "exit 1 in " + r.millis() + " ms: " + message);
    }

    /** A learning rate of 1e30 from the first step: the parameters overflow and the loss turns NaN within steps. */
    private static SpindleCli.Result diverge(Path run, String... extra) {
        List<String> args = new ArrayList<>(List.of(args(run, "--set", "train.lr=1e30", "--set", "train.minLr=1e29",
                "--set", "train.warmupSteps=0")));
        args.addAll(List.of(extra));
        return SpindleCli.run(args.toArray(String[]::new));
    }

    @Test
    void aNonFiniteLossStopsCleanlyByDefaultWithTheLastGoodCheckpoint() throws Exception {
        Path run = dir.resolve("diverging");
        SpindleCli.Result r = diverge(run, "--set", "train.checkpointEvery=1");
        assertEquals(1, r.exitCode(), r.all());
        String message = r.err().lines().filter(l -> l.startsWith("spindle train:")).findFirst().orElse("");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("at step (\\d+): stopped \\(train.onNonFinite=stop\\);"
                + " the newest checkpoint, step (\\d+), holds the last good parameters").matcher(message);
        assertTrue(m.find(), r.all());
        int failedStep = Integer.parseInt(m.group(1));
        int kept = Integer.parseInt(m.group(2));
        assertEquals(failedStep - 1, kept);
        assertTrue(TinyRun.allFinite(TinyRun.checkpoint(run.toUri().toString(), kept).model()), "step " + kept + " is finite");
        assertFalse(Files.exists(run.resolve("checkpoints/step-" + failedStep)), "nothing written after the failure");
        assertEquals(1, TinyRun.events(TinyRun.metrics(run.resolve("metrics.jsonl")), "non_finite_stop"));
        OUTCOMES.put("non-finite loss, default policy", "exit 1 in " + r.millis() + " ms: " + message);
    }

    @Test
    void nonFiniteStepsAreSkippedAndCountedWhenAsked() throws Exception {
        Path run = dir.resolve("diverging-skip");
        SpindleCli.Result r = diverge(run, "--set", "train.onNonFinite=skip");
        assertEquals(0, r.exitCode(), r.all());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+) step\\(s\\) had a non-finite loss or gradient"
                + " and were skipped").matcher(r.out());
        assertTrue(m.find(), r.all());
        long skipped = Long.parseLong(m.group(1));
        assertTrue(skipped >= 1 && skipped < STEPS, "some but not all steps skipped: " + skipped);
        assertEquals(skipped, TinyRun.events(TinyRun.metrics(run.resolve("metrics.jsonl")), "non_finite_skip"));
        assertTrue(TinyRun.allFinite(TinyRun.checkpoint(run.toUri().toString(), STEPS).model()),
                "skipped steps never reach the parameters");
        OUTCOMES.put("non-finite loss, onNonFinite=skip", "exit 0 in " + r.millis() + " ms: " + m.group());
    }

    /**
     * The driver JVM (spark-submit of the -spark.jar on local[2]) is frozen and killed with SIGKILL
     * once the checkpoint of step 8 exists; {@code spindle train ... --resume} then continues from it and ends with the
     * parameters of an uninterrupted run.
     */
    @Test
    void aKilledDriverIsContinuedByResumeFromTheLastCheckpoint() throws Exception {
        int steps = 24;
        Path uninterrupted = dir.resolve("driver-reference");
        List<String> common = List.of("--set", "spark.master=local[2]", "--set", "data.prepared="
                + dir.resolve("prepared").toUri(), "--no-sample");
        List<String> refArgs = new ArrayList<>(TinyRun.trainArgs(corpus, uninterrupted.toUri().toString(), steps, 4));
        refArgs.addAll(common);
        SpindleCli.Result ref = SpindleCli.run(refArgs.toArray(String[]::new));
        assertEquals(0, ref.exitCode(), ref.all());

        Path run = dir.resolve("driver-killed");
        List<String> runArgs = new ArrayList<>(TinyRun.trainArgs(corpus, run.toUri().toString(), steps, 4));
        runArgs.addAll(common);
        List<String> submit = new ArrayList<>(List.of("--master", "local[2]", "--conf", "spark.ui.enabled=false",
                "--class", "io.spindle.spark.SpindleMain", SparkJvm.appJar().toString()));
        submit.addAll(runArgs);
        Path log = dir.resolve("driver-killed.log");
        ProcessBuilder pb = new ProcessBuilder(SparkJvm.command(List.of("-Xmx1g"), "org.apache.spark.deploy.SparkSubmit",
                submit)).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("OMP_NUM_THREADS", "2");
        Process driver = pb.start();
        Path step8 = run.resolve("checkpoints/step-8/manifest.json");
        try {
            long deadline = System.currentTimeMillis() + TimeUnit.MINUTES.toMillis(3);
            while (!Files.exists(step8)) {
                if (!driver.isAlive()) fail("the driver exited before step 8:\n" + Files.readString(log));
                if (System.currentTimeMillis() > deadline) fail("no checkpoint of step 8 in 3 minutes");
                Thread.sleep(2);
            }
            // freeze it at once (steps take milliseconds), then SIGKILL: no shutdown hook, no cleanup
            Process stop = new ProcessBuilder("kill", "-STOP", Long.toString(driver.pid())).start();
            assertTrue(stop.waitFor(10, TimeUnit.SECONDS) && stop.exitValue() == 0, "kill -STOP");
            driver.destroyForcibly();
            assertTrue(driver.waitFor(30, TimeUnit.SECONDS));
        } finally {
            if (driver.isAlive()) driver.destroyForcibly();
        }
        long newest = TinyRun.newestCheckpoint(run.resolve("checkpoints"));
        assertTrue(newest >= 8 && newest < steps, "killed mid-run, newest checkpoint " + newest);

        List<String> resumeArgs = new ArrayList<>(runArgs);
        resumeArgs.add("--resume");
        SpindleCli.Result resumed = SpindleCli.run(resumeArgs.toArray(String[]::new));
        assertEquals(0, resumed.exitCode(), resumed.all());
        assertTrue(resumed.out().contains("--resume: continuing from the newest valid checkpoint"), resumed.all());
        List<Map<String, Object>> rows = TinyRun.metrics(run.resolve("metrics.jsonl"));
        assertTrue(rows.stream().anyMatch(r -> "resume".equals(r.get("event"))
                && ((Number) r.get("step")).longValue() == newest), "resumed from step " + newest);
        TinyRun.assertEndsAsReference(uninterrupted, run, steps);
        OUTCOMES.put("driver killed", "SIGKILL after the checkpoint of step " + newest + "; --resume exit 0 in "
                + resumed.millis() + " ms, final parameters bit-identical to the uninterrupted run");
    }

    private static String firstLine(String s) {
        return s.lines().findFirst().orElse("").trim();
    }
}
