package io.spindle.it;

import io.spindle.spark.SpindleMain;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Runs the real CLI entry point ({@link SpindleMain#execute}) in this JVM, as {@code bin/spindle}
 * would run it, with its console output captured. Spark, when a command needs it, runs embedded.
 */
final class SpindleCli {
    /** What a command printed and its exit code. */
    record Result(int exitCode, String out, String err, long millis) {
        String all() {
            return out + err;
        }
    }

    private SpindleCli() {}

    static synchronized Result run(String... args) {
        PrintStream savedOut = System.out;
        PrintStream savedErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        long start = System.nanoTime();
        int code;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
             PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            System.setOut(o);
            System.setErr(e);
            code = SpindleMain.execute(args);
        } finally {
            System.setOut(savedOut);
            System.setErr(savedErr);
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8), millis);
    }
}
