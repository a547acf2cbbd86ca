package io.spindle.it;


import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A finished or running spark-submit of a Spindle command on a {@link StandaloneCluster}, and its metrics. */
record Submission(Process process, Path log) {
    static final long RUN_TIMEOUT_MIN = 6;

    /**
     * Starts {@code spark-submit} of Spindle's application jar with {@code args} on {@code cluster}
     * (its submit options, then {@code confs}, which override them), logging to {@code dir/name.log}.
     */
    static Submission start(StandaloneCluster cluster, Path dir, String name, List<String> confs, List<String> args)
            throws IOException {
        List<String> all = new ArrayList<>(cluster.submitOptions());
        all.addAll(confs);
        all.addAll(List.of("--name", "spindle-it-" + name, "--class", "io.spindle.spark.SpindleMain",
                SparkJvm.appJar().toString()));
        all.addAll(args);
        Path log = dir.resolve(name + ".log");
        ProcessBuilder pb = new ProcessBuilder(SparkJvm.command(List.of("-Xmx1g"), "org.apache.spark.deploy.SparkSubmit",
                all)).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("OMP_NUM_THREADS", "1");
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        return new Submission(pb.start(), log);
    }

    String output() throws IOException {
        return new String(Files.readAllBytes(log), StandardCharsets.UTF_8);
    }

    /** Waits for the driver to exit and asserts it succeeded, showing its output otherwise. */
    String awaitSuccess() throws IOException, InterruptedException {
        boolean ended = process.waitFor(RUN_TIMEOUT_MIN, TimeUnit.MINUTES);
        if (!ended) process.destroyForcibly();
        String output = output();
        assertTrue(ended, "spark-submit did not finish in " + RUN_TIMEOUT_MIN + " minutes:\n" + output);
        assertEquals(0, process.exitValue(), output);
        return output;
    }
}
