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
    @TempDir
    static Path dir;
    static Path appJar;

    @BeforeAll
    static void locate() throws IOException {
        appJar = SparkJvm.appJar();
    }

    private static Process submit(Path log, String... args) throws IOException {
        List<String> submitArgs = new ArrayList<>(List.of("--master", "local[2]", "--conf", "spark.ui.enabled=false",
                "--class", "io.spindle.spark.SpindleMain", appJar.toString()));
        submitArgs.addAll(Arrays.asList(args));
        ProcessBuilder pb = new ProcessBuilder(SparkJvm.command(List.of(), "org.apache.spark.deploy.SparkSubmit",
                submitArgs)).redirectErrorStream(true).redirectOutput(log.toFile());
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

    /** Executors load ND4J and OpenBLAS from the application jar: nothing is installed on them. */
    @Test
    void applicationJarCarriesTheLinuxNativesButNotSpark() throws IOException {
        try (java.util.zip.ZipFile jar = new java.util.zip.ZipFile(appJar.toFile())) {
            for (String lib : List.of("org/nd4j/linalg/cpu/nativecpu/bindings/linux-x86_64/libnd4jcpu.so",
                    "org/nd4j/linalg/cpu/nativecpu/bindings/linux-x86_64/libjnind4jcpu.so",
                    "org/bytedeco/openblas/linux-x86_64/libopenblas.so.0",
                    "org/bytedeco/javacpp/linux-x86_64/libjnijavacpp.so")) {
                assertTrue(jar.getEntry(lib) != null, appJar + " lacks " + lib);
            }
            assertTrue(jar.stream().noneMatch(e -> e.getName().startsWith("org/apache/spark/")),
                    appJar + " must not carry Spark: the cluster's spark-submit brings it");
        }
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
