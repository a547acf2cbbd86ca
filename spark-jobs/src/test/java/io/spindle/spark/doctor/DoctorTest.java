package io.spindle.spark.doctor;

import io.spindle.spark.SpindleMain;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DoctorTest {
    @TempDir
    Path dir;

    private int doctor(ByteArrayOutputStream out, String... args) {
        PrintStream saved = System.out;
        PrintStream savedErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        try {
            String[] all = new String[args.length + 1];
            all[0] = "doctor";
            System.arraycopy(args, 0, all, 1, args.length);
            return SpindleMain.execute(all);
        } finally {
            System.setOut(saved);
            System.setErr(savedErr);
        }
    }

    @Test
    void onALocalMasterTheDriverAndTheExecutorPass() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(0, doctor(out, "--run-dir", dir.toString()), out.toString());
        String table = out.toString();
        assertTrue(table.contains("executor driver"), "the checks also ran as a Spark task: " + table);
        assertTrue(table.contains("nd4j") && table.contains("0 failed"), table);
        assertTrue(table.matches("(?s).*driver +coat +OK +SIMD codec, \\d+ floats per vector.*"),
                "test JVMs run with the Vector API module, so COAT's SIMD codec is reported: " + table);
        try (var files = Files.list(dir)) {
            assertEquals(0, files.count(), "the write probes are deleted");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void anUnreachableMasterFailsFastWithTheFix() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        long start = System.nanoTime();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(1, doctor(out, "--master", "spark://127.0.0.1:" + closedPort, "--run-dir", dir.toString(),
                "--timeout", "5"));
        assertTrue(out.toString().contains("cannot connect to 127.0.0.1:" + closedPort), out.toString());
        assertTrue(out.toString().contains("check the master URL"), out.toString());
        assertTrue(System.nanoTime() - start < Duration.ofSeconds(30).toNanos(), "no Spark retry loop");
    }

    @Test
    void anUnwritableRunDirectoryIsAFailureThatSaysWhy() throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        Check c = HostChecks.runDirectory("driver", file.resolve("runs").toString());
        assertEquals(Check.Status.FAIL, c.status(), c.toString());
        assertTrue(c.detail().contains("cannot write to " + file.resolve("runs")), c.detail());
    }

    @Test
    void theTableCountsEveryOutcome() {
        String table = Doctor.table(List.of(Check.ok("driver", "java", "17"), Check.warn("driver", "threads", "unset"),
                Check.fail("executor 1 (h)", "nd4j", "no natives")));
        assertTrue(table.endsWith("1 ok, 1 warning(s), 1 failed\n"), table);
        assertTrue(table.contains("executor 1 (h)  nd4j"), table);
    }
}
