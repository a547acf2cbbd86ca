package io.spindle.spark.report;

import io.spindle.spark.SpindleMain;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReportCommandTest {
    @TempDir
    Path dir;

    private int run(ByteArrayOutputStream err, String... args) {
        PrintStream savedErr = System.err;
        PrintStream savedOut = System.out;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        System.setOut(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        try {
            return SpindleMain.execute(args);
        } finally {
            System.setErr(savedErr);
            System.setOut(savedOut);
        }
    }

    private Path runDir(String name) throws IOException {
        Path run = Files.createDirectories(dir.resolve(name));
        Files.writeString(run.resolve("metrics.jsonl"), RunMetricsTest.val(0, 5.5) + RunMetricsTest.step(1, 5.0)
                + RunMetricsTest.step(2, 4.0) + RunMetricsTest.val(2, 4.2));
        return run;
    }

    @Test
    void twoRunsAreComparedIntoTheOutDirectory() throws IOException {
        Path a = runDir("a");
        Path b = runDir("b");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(0, run(err, "report", a.toString(), b.toString(), "--out", dir.resolve("cmp").toString()), err.toString());
        String summary = Files.readString(dir.resolve("cmp/summary.md"));
        assertTrue(summary.contains("| a |") && summary.contains("| b |"), summary);
        assertTrue(Files.size(dir.resolve("cmp/loss.png")) > 0);
        assertFalse(Files.exists(a.resolve("report")), "nothing is written into a compared run");
    }

    @Test
    void severalRunsWithoutOutAreRefused() throws IOException {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(2, run(err, "report", runDir("a").toString(), runDir("b").toString()));
        assertTrue(err.toString().contains("needs --out DIR"), err.toString());
    }

    @Test
    void aDirectoryWithoutMetricsIsNamed() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Path missing = dir.resolve("no-such-run");
        assertEquals(2, run(err, "report", missing.toString()));
        assertTrue(err.toString().contains(missing + "/metrics.jsonl does not exist"), err.toString());
    }
}
