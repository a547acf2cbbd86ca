package io.spindle.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What every JVM these tests start shares: the java binary, the flags Spark needs on Java 17, the
 * classpath a cluster has (Spark, Hadoop, Scala; never Spindle, which comes in the -spark.jar), and
 * that jar.
 */
final class SparkJvm {
    /** Spark's usual --add-opens set for Java 17 (Kryo, Netty, off-heap buffers), and the Vector API for COAT's SIMD codec. */
    static final List<String> OPENS = List.of("--add-opens=java.base/java.lang=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED", "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
            "--add-opens=java.base/java.io=ALL-UNNAMED", "--add-opens=java.base/java.net=ALL-UNNAMED",
            "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/java.util=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
            "--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.cs=ALL-UNNAMED", "--add-opens=java.base/sun.security.action=ALL-UNNAMED",
            "--add-opens=java.base/sun.util.calendar=ALL-UNNAMED", "-Djdk.reflect.useDirectMethodHandle=false",
            "-Dio.netty.tryReflectionSetAccessible=true", "--add-modules=jdk.incubator.vector");

    private SparkJvm() {}

    static String java() {
        return Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** Written by the it module's build (maven-dependency-plugin, the "provided" scope). */
    static String clusterClasspath() throws IOException {
        String cp = Files.readString(Paths.get("target", "spark-classpath.txt")).trim();
        assertTrue(!cp.contains("nd4j") && !cp.contains("spindle"), "the cluster classpath must not contain Spindle or ND4J");
        return cp;
    }

    /** spindle-spark-jobs-*-spark.jar, built by the reactor before these tests. */
    static Path appJar() throws IOException {
        Path target = Paths.get("..", "spark-jobs", "target").toAbsolutePath().normalize();
        try (var jars = Files.list(target)) {
            return jars.filter(p -> p.getFileName().toString().endsWith("-spark.jar")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no *-spark.jar in " + target
                            + "; run `mvn package` (the reactor builds it before these tests)"));
        }
    }

    /** {@code java <opens> <extra> -cp <cluster classpath> <main> <args>}. */
    static List<String> command(List<String> jvmFlags, String mainClass, List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(java());
        cmd.addAll(OPENS);
        cmd.addAll(jvmFlags);
        cmd.addAll(List.of("-cp", clusterClasspath(), mainClass));
        cmd.addAll(args);
        return cmd;
    }

    /** The last {@code lines} lines of a log, for failure messages. */
    static String tail(Path log, int lines) {
        try {
            List<String> all = List.of(new String(Files.readAllBytes(log), StandardCharsets.UTF_8).split("\n"));
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e.getMessage() + ")";
        }
    }
}
