package io.spindle.it;

import io.spindle.parallel.checkpoint.CheckpointCatalog;
import io.spindle.parallel.checkpoint.CheckpointManifest;
import io.spindle.parallel.checkpoint.TensorEntry;
import io.spindle.spark.fs.HadoopCheckpointStorage;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.spindle.it.TinyRun.losses;
import static io.spindle.it.TinyRun.metrics;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DP=2 × TP=2 on a real Spark standalone cluster: a Master and two Workers of two cores in their
 * own JVMs, two executors of two task slots each, and one barrier stage of four ranks whose DP and
 * TP rings run over TCP between and within the executors. The per-step losses must be within 1e-5
 * relative of one rank (DP=1, TP=1) trained in this JVM from the same resolved config (float
 * summation order differs, so not bit for bit), and the checkpoint must hold every tensor at its
 * logical shape. Run alone with {@code mvn -pl it -am verify -Dgroups=cluster}.
 */
@Tag("cluster")
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class TensorParallelClusterTest {
    private static final int STEPS = 8;

    @TempDir
    static Path dir;
    static StandaloneCluster cluster;

    @BeforeAll
    static void startCluster() throws IOException, InterruptedException {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 200; i++) {
            text.append("Chapter ").append(i).append(". Emma Woodhouse, handsome, clever, and rich, with a comfortable")
                    .append(" home and happy disposition, seemed to unite some of the best blessings of existence.\n\n");
        }
        Files.writeString(dir.resolve("corpus.txt"), text.toString());
        cluster = StandaloneCluster.start(dir.resolve("cluster"), 2, 2);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) cluster.close();
    }

    @Test
    void fourRanksOfTwoReplicasTimesTwoSlicesTrainLikeOneRank() throws Exception {
        Path runDir = dir.resolve("dp2-tp2");
        List<String> args = new ArrayList<>(List.of("train",
                Paths.get("..", "conf", "tiny-dp2-tp2.conf").toAbsolutePath().toString(),
                "--set", "run.dir=" + runDir.toUri(), "--set", "data.source=" + dir.resolve("corpus.txt").toUri(),
                "--set", "data.validationFraction=0.1", "--set", "spark.master=\"\"",
                "--set", "model.dModel=32", "--set", "model.layers=1", "--set", "model.heads=2",
                "--set", "model.ffnHidden=64", "--set", "model.maxSeq=32",
                "--set", "train.seq=32", "--set", "train.batch=4", "--set", "train.steps=" + STEPS,
                "--set", "train.warmupSteps=2", "--set", "train.evalEvery=" + STEPS, "--set", "train.evalBatches=1",
                "--set", "train.checkpointEvery=" + STEPS, "--set", "train.logEvery=4", "--no-sample"));
        Submission run = Submission.start(cluster, dir, "dp2-tp2", List.of("--conf", "spark.executor.cores=2"), args);
        String output;
        try {
            output = run.awaitSuccess();
        } catch (AssertionError | RuntimeException e) {
            System.err.println(cluster.logs());
            throw e;
        } finally {
            run.process().destroyForcibly();
        }
        assertTrue(output.contains("on " + cluster.masterUrl() + ", 4 rank(s)"), output);
        double[] onCluster = losses(metrics(runDir.resolve("metrics.jsonl")));
        assertEquals(STEPS, onCluster.length);

        double[] reference = InProcessReference.losses(runDir, dir.resolve("single"));
        double maxRelative = InProcessReference.maxRelativeDifference(
                "standalone cluster DP=2 x TP=2 vs in-process DP=1 x TP=1", onCluster, reference);
        assertTrue(maxRelative <= 1e-5, "per-step losses within 1e-5 relative: " + maxRelative);

        CheckpointManifest manifest = new CheckpointCatalog(new HadoopCheckpointStorage(
                runDir.resolve("checkpoints").toUri().toString(), new Configuration())).manifest(STEPS);
        assertEquals(2, manifest.dataParallel());
        assertEquals(2, manifest.tensorParallel());
        Map<String, long[]> logical = Map.of("embed.weight", new long[] {258, 32}, "head.weight", new long[] {258, 32},
                "blocks.0.attn.wo", new long[] {32, 32}, "blocks.0.ffn.w1", new long[] {64, 32},
                "blocks.0.ffn.w2", new long[] {32, 64});
        for (TensorEntry t : manifest.tensors()) {
            if (logical.containsKey(t.name())) assertArrayEquals(logical.get(t.name()), t.shape(), t.name());
        }
    }
}
