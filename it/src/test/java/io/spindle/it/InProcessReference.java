package io.spindle.it;

import io.spindle.parallel.dp.DataParallel;
import io.spindle.spark.config.ConfigLoader;
import io.spindle.spark.config.SpindleConfig;
import io.spindle.spark.train.RankRun;
import org.apache.hadoop.conf.Configuration;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One rank trained in the test JVM from the very config a cluster run resolved: what the cluster's losses must match. */
final class InProcessReference {
    private InProcessReference() {}

    /**
     * Trains one rank (DP=1, TP=1) from {@code clusterRun}'s {@code config.resolved.conf} into
     * {@code singleDir} and returns its per-step losses.
     */
    static double[] losses(Path clusterRun, Path singleDir) throws IOException {
        SpindleConfig config = ConfigLoader.fromText(Files.readString(clusterRun.resolve("config.resolved.conf")),
                List.of("parallel.dp=1", "parallel.tp=1", "run.dir=\"" + singleDir.toUri() + "\""));
        List<Map<String, Object>> rows = new ArrayList<>();
        try (DataParallel alone = DataParallel.single()) {
            assertTrue(RankRun.train(config, alone, new Configuration(), rows::add).completed());
        }
        return TinyRun.losses(rows);
    }

    /** Prints and returns the largest relative difference of {@code actual} to {@code reference}, step by step. */
    static double maxRelativeDifference(String label, double[] actual, double[] reference) {
        assertEquals(reference.length, actual.length, "one loss per step");
        double max = 0;
        for (int i = 0; i < reference.length; i++) max = Math.max(max, Math.abs(actual[i] - reference[i]) / reference[i]);
        System.out.printf("%s: max relative loss difference %.3g over %d steps%n", label, max, reference.length);
        return max;
    }
}
