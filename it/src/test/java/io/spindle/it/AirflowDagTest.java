package io.spindle.it;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@code airflow/dags/spindle_train.py} run without Airflow by {@code airflow/tests/run_dag.py}:
 * the DAG is imported against the stand-in operator package, each task becomes the spark-submit
 * command the Spark provider would build, and the commands run in order against local Spark
 * through {@code airflow/tests/bin/spark-submit} (Spark's SparkSubmit on the cluster classpath,
 * which holds no Spindle and no ND4J: the application jar brings both, natives included). The
 * train task is killed after its first checkpoint and retried, and must resume from it.
 */
class AirflowDagTest {
    static final Path ROOT = Paths.get("..").toAbsolutePath().normalize();
    static final Path PYTHON = Paths.get("/usr/bin/python3");

    @Test
    void dagRunsPrepareTrainEvalExtractAndTrainRetriesResume() throws Exception {
        if (!Files.isExecutable(PYTHON)) fail(PYTHON + " is missing: install Debian's python3 (.ci/run does)");
        Path out = Paths.get("target", "airflow").toAbsolutePath();
        Files.createDirectories(out);
        Path log = out.resolve("run_dag.log");
        ProcessBuilder pb = new ProcessBuilder(List.of(PYTHON.toString(), ROOT.resolve("airflow/tests/run_dag.py").toString()))
                .directory(out.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        var env = pb.environment();
        env.put("PATH", ROOT.resolve("airflow/tests/bin") + ":" + env.get("PATH"));
        env.put("SPINDLE_SPARK_CLASSPATH", SparkJvm.clusterClasspath());
        env.put("SPINDLE_JAR", SparkJvm.appJar().toString());
        env.put("SPINDLE_CONF", ROOT.resolve("conf/matformer.conf").toString());
        env.put("SPINDLE_RUNS", out.resolve("runs").toUri().toString());
        env.put("SPINDLE_AIRFLOW_LOGS", out.resolve("logs").toString());
        env.put("AIRFLOW_CONN_SPARK_DEFAULT", "{\"conn_type\": \"spark\", \"host\": \"local[2]\"}");
        // A small corpus and a short run: checkpoints every 4 steps, so the first attempt can be
        // interrupted after one and the retry has steps left to do.
        Path corpus = out.resolve("corpus.txt");
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 400; i++) {
            text.append("Chapter ").append(i).append(". It is a truth universally acknowledged, that a single man.\n\n");
        }
        Files.writeString(corpus, text.toString());
        env.put("SPINDLE_TRAIN_SETS", String.join(" ", "data.source=[\"" + corpus.toUri() + "\"]", "model.layers=1",
                "train.steps=40", "train.checkpointEvery=4", "train.evalEvery=20", "train.evalBatches=1",
                "train.warmupSteps=2", "train.seq=32", "train.batch=4", "data.validationFraction=0.1"));
        env.put("SPINDLE_SUB_WIDTH", "96");
        env.put("OMP_NUM_THREADS", "2");
        Process p = pb.start();
        if (!p.waitFor(15, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            fail("run_dag.py did not finish in 15 minutes:\n" + SparkJvm.tail(log, 80));
        }
        String output = Files.readString(log);
        assertEquals(0, p.exitValue(), output);
        assertTrue(output.contains("OK: prepare, train (interrupted and resumed), eval, extract"), output);
    }
}
