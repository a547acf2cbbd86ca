package io.spindle.spark.train;

import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MetricsLogTest {
    @TempDir
    Path dir;

    /** A reader tailing the files (a user, TensorBoard) sees every row as soon as it is appended, not at close. */
    @Test
    void rowsReachTheLocalFilesWhileTheRunGoesOn() throws IOException {
        Path metrics = dir.resolve("run/metrics.jsonl");
        try (MetricsLog log = new MetricsLog(metrics.toUri().toString(), new Configuration())) {
            log.append(Map.of("step", 1, "loss", 5.5));
            assertEquals(1, Files.readAllLines(metrics).size(), "metrics.jsonl before close");
            try (var events = Files.list(dir.resolve("run/tensorboard"))) {
                Path file = events.filter(f -> f.getFileName().toString().startsWith("events.")).findFirst().orElseThrow();
                assertTrue(Files.size(file) > 0, "the TensorBoard event file before close");
            }
            log.append(Map.of("step", 2, "loss", 5.0));
            assertTrue(Files.readString(metrics).contains("\"step\":2"));
        }
    }

    @Test
    void aResumedRunContinuesTheFile() throws IOException {
        Path metrics = dir.resolve("metrics.jsonl");
        try (MetricsLog log = new MetricsLog(metrics.toUri().toString(), new Configuration())) {
            log.append(Map.of("step", 1, "loss", 5.5));
        }
        try (MetricsLog log = new MetricsLog(metrics.toUri().toString(), new Configuration())) {
            log.append(Map.of("step", 2, "loss", 5.0));
        }
        assertEquals(2, Files.readAllLines(metrics).size());
    }
}
