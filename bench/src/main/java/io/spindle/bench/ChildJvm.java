package io.spindle.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A benchmark participant in its own JVM, started from this JVM's classpath, that talks to its
 * parent in lines: it prints {@code KEY value...} lines on stdout and reads lines from stdin. Its
 * stderr (logging, stack traces) goes to a log file whose tail is quoted when it fails. This
 * object owns the process and destroys it on close if it is still running.
 */
final class ChildJvm implements AutoCloseable {
    private static final String END = "\u0000end";

    private final String name;
    private final Process process;
    private final Path log;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final Writer stdin;

    private ChildJvm(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
        this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        Thread reader = new Thread(this::pumpStdout, "child-" + name + "-stdout");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts {@code main} in a new JVM with this JVM's java binary and classpath.
     *
     * @param logDir where the child's stderr goes, as {@code name.log}
     */
    static ChildJvm start(String name, Class<?> main, List<String> jvmArgs, Map<String, String> env,
                          List<String> args, Path logDir) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(jvmArgs);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(main.getName());
        command.addAll(args);
        Files.createDirectories(logDir);
        Path log = logDir.resolve(name + ".log");
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(log.toFile());
        builder.environment().putAll(env);
        return new ChildJvm(name, builder.start(), log);
    }

    private void pumpStdout() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) lines.add(line);
        } catch (IOException ignored) {
            // the child died; awaitLine reports it with the log's tail
        } finally {
            lines.add(END);
        }
    }

    String name() {
        return name;
    }

    long pid() {
        return process.pid();
    }

    /** Sends one line to the child's stdin. */
    void send(String line) throws IOException {
        stdin.write(line);
        stdin.write('\n');
        stdin.flush();
    }

    /** The next stdout line starting with {@code key + " "}, without the key; other lines are echoed. */
    String awaitLine(String key, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String line = nextLine(key, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            if (line.startsWith(key + " ")) return line.substring(key.length() + 1);
            System.out.println("[" + name + "] " + line);
        }
    }

    /**
     * The next stdout line, whatever it is.
     *
     * @param expecting what the caller waits for, named in the error if the child ends or stays silent
     */
    String nextLine(String expecting, Duration timeout) throws IOException, InterruptedException {
        String line = lines.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        if (line == null) {
            throw new IOException(name + " printed no '" + expecting + "' line within " + timeout.toSeconds()
                    + " s" + logTail());
        }
        if (line.equals(END)) {
            lines.add(END);
            throw new IOException(name + " ended before printing '" + expecting + "' (exit code "
                    + exitCodeAfterEnd() + ")" + logTail());
        }
        return line;
    }

    /** Waits for the child to exit and fails unless it exited with 0. */
    void awaitSuccess(Duration timeout) throws IOException, InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IOException(name + " did not exit within " + timeout.toSeconds() + " s" + logTail());
        }
        if (process.exitValue() != 0) {
            throw new IOException(name + " exited with code " + process.exitValue() + logTail());
        }
    }

    private String exitCodeAfterEnd() throws InterruptedException {
        return process.waitFor(5, TimeUnit.SECONDS) ? String.valueOf(process.exitValue()) : "still running";
    }

    private String logTail() {
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            List<String> tail = all.subList(Math.max(0, all.size() - 20), all.size());
            return "; last lines of " + log + ":\n  " + String.join("\n  ", tail);
        } catch (IOException e) {
            return "; see " + log;
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) process.destroyForcibly();
    }
}
