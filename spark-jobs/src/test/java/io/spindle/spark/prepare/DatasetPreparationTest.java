package io.spindle.spark.prepare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import io.spindle.spark.config.ConfigLoader;
import io.spindle.spark.config.SpindleConfig;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetPreparationTest {
    private static SparkSession spark;

    @TempDir
    Path dir;

    @BeforeAll
    static void startSpark() {
        spark = SparkSession.builder().master("local[2]").appName("DatasetPreparationTest")
                .config("spark.ui.enabled", "false")
                .config("spark.driver.host", "localhost")
                .getOrCreate();
    }

    @AfterAll
    static void stopSpark() {
        spark.stop();
    }

    @Test
    void preparesOnceThenReusesAndRefusesADatasetOfOtherSources() throws IOException {
        Files.writeString(dir.resolve("a.txt"), "first paragraph\n\nsecond paragraph\n\nthird one\n");
        Files.writeString(dir.resolve("b.txt"), "another book\n");
        Path prepared = dir.resolve("prepared");

        String first = ensurePrepared(config("a.txt", prepared, 1));
        assertTrue(first.startsWith("Preparing"), first);
        assertTrue(Files.exists(prepared.resolve("dataset.json")));
        long modified = Files.getLastModifiedTime(prepared.resolve("dataset.json")).toMillis();

        String second = ensurePrepared(config("a.txt", prepared, 1));
        assertTrue(second.startsWith("Using the prepared dataset"), second);
        assertEquals(modified, Files.getLastModifiedTime(prepared.resolve("dataset.json")).toMillis());

        var e = assertThrows(PrepareException.class, () -> ensurePrepared(config("b.txt", prepared, 1)));
        assertTrue(e.getMessage().contains("data.prepared=") && e.getMessage().contains("b.txt"), e.getMessage());
        assertThrows(PrepareException.class, () -> ensurePrepared(config("a.txt", prepared, 2)));
    }

    private SpindleConfig config(String source, Path prepared, long seed) {
        return ConfigLoader.fromText(String.join("\n",
                "model.flavor = tiny",
                "data.source = [\"" + dir.resolve(source) + "\"]",
                "data.prepared = \"" + prepared + "\"",
                "data.validationFraction = 0.1",
                "data.seed = " + seed), List.of());
    }

    private static String ensurePrepared(SpindleConfig config) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream console = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            DatasetPreparation.ensurePrepared(spark, config, console);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
