package io.spindle.it;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The jar that spark-submit runs on a cluster: {@code spindle-spark-jobs-*-spark.jar} submitted
 * with {@code org.apache.spark.deploy.SparkSubmit} in a separate JVM whose classpath holds only
 * Spark and Hadoop, as a cluster's does. Trains a few steps and checks the run directory.
 */
class SparkSubmitTest {
    private static final List<String> OPENS = List.of("--add-opens=java.base/java.lang=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED", "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
            "--add-opens=java.base/java.io=ALL-UNNAMED", "--add-opens=java.base/java.net=ALL-UNNAMED",
            "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/java.util=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
            "--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.cs=ALL-UNNAMED", "--add-opens=java.base/sun.security.action=ALL-UNNAMED",
            "--add-opens=java.base/sun.util.calendar=ALL-UNNAMED", "-Djdk.reflect.useDirectMethodHandle=false",
            "-Dio.netty.tryReflectionSetAccessible=true");

    @TempDir
    static Path dir;
    static Path appJar;
    static String sparkClasspath;

    @BeforeAll
    static void locate() throws IOException {
        Path target = Paths.get("..", "spark-jobs", "target").toAbsolutePath().normalize();
        try (var jars = Files.list(target)) {
            appJar = jars.filter(p -> p.getFileName().toString().endsWith("-spark.jar")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no *-spark.jar in " + target
                            + "; run `mvn package` (the reactor builds it before these tests)"));
        }
        sparkClasspath = Files.readString(Paths.get("target", "spark-classpath.txt")).trim();
        assertTrue(!sparkClasspath.contains("nd4j") && !sparkClasspath.contains("spindle"),
                "the cluster classpath must not contain Spindle or ND4J");
    }

    private static Process submit(Path log, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(OPENS);
        cmd.addAll(List.of("-cp", sparkClasspath, "org.apache.spark.deploy.SparkSubmit", "--master", "local[2]",
                "--conf", "spark.ui.enabled=false", "--class", "io.spindle.spark.SpindleMain", appJar.toString()));
        cmd.addAll(Arrays.asList(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("OMP_NUM_THREADS", "2");
        return pb.start();
    }

    @Test
    void trainsThroughSparkSubmitWithOnlySparkOnTheClasspath() throws Exception {
        Path corpus = dir.resolve("corpus.txt");
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 300; i++) {
            text.append("Paragraph ").append(i).append(": it is a truth universally acknowledged.\n\n");
        }
        Files.writeString(corpus, text.toString());
        Path runDir = dir.resolve("run");
        Path log = dir.resolve("submit.log");
        Process p = submit(log, "train", Paths.get("..", "conf", "tiny.conf").toAbsolutePath().toString(),
                "--set", "run.dir=" + runDir.toUri(), "--set", "data.source=" + corpus.toUri(),
                "--set", "model.layers=1", "--set", "train.steps=4", "--set", "train.warmupSteps=1",
                "--set", "train.seq=32", "--set", "train.batch=4", "--set", "train.evalBatches=1",
                "--set", "data.validationFraction=0.1", "--set", "generate.tokens=10");
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "spark-submit did not finish in 5 minutes");
        String output = Files.readString(log, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), output);
        assertTrue(output.contains("Finished 4 steps"), output);
        assertTrue(Files.exists(runDir.resolve("checkpoints/step-4/manifest.json")), output);
        assertTrue(Files.size(runDir.resolve("metrics.jsonl")) > 0);
    }

    @Test
    void badConfigExitsWithTwoThroughSparkSubmit() throws Exception {
        Path log = dir.resolve("bad.log");
        Process p = submit(log, "train", Paths.get("..", "conf", "tiny.conf").toAbsolutePath().toString(),
                "--set", "train.stpes=3");
        assertTrue(p.waitFor(3, TimeUnit.MINUTES));
        String output = Files.readString(log, StandardCharsets.UTF_8);
        assertEquals(2, p.exitValue(), output);
        assertTrue(output.contains("did you mean train.steps?"), output);
    }
}
