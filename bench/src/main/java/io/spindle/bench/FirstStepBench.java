package io.spindle.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Time from invoking {@code bin/spindle train CONF} to its first training step, with a fresh run
 * directory each time: "cold" lets the command prepare the dataset (the default {@code data.prepared}
 * is inside the run directory), "warm" points {@code data.prepared} at a dataset prepared before.
 *
 * <p>The clock starts right before the process is spawned. The breakdown comes from the command's
 * console (stdout and stderr, each line timestamped as it arrives):
 * <ul>
 *   <li>{@code spark}: until the driver's first line ("Preparing ..." or "Using the prepared dataset
 *       ..."): JVM start, config, embedded Spark session, run-directory check;</li>
 *   <li>{@code data}: until "Training ...": preparing the dataset (cold) or finding it (warm);</li>
 *   <li>{@code launch+validation}: until "validation at step 0": the barrier stage's launch, the rank
 *       loading the shards and building model and optimizer, and the validation that precedes step 1;</li>
 *   <li>{@code step}: until "step 1/N", the first step's row as the driver receives it.</li>
 * </ul>
 * The run is given {@code --set train.logEvery=1} so that the console shows step 1 (off a terminal
 * it prints every logEvery-th step); that changes what is printed, not what is trained. The console
 * is the clock because the rows of {@code metrics.jsonl} carry no wall-clock time. Once step 1 is
 * seen the command is stopped (SIGTERM): only start-up is measured.
 *
 * <p>Usage: {@code FirstStepBench --prepared DIR [--conf conf/tiny.conf] [--repeats 3]}, run from the
 * repository root; DIR must hold a prepared dataset (bench/first-step.sh prepares it).
 */
public final class FirstStepBench {
    private static final long TIMEOUT_SECONDS = 600;

    private FirstStepBench() {}

    /** Seconds since spawn at which each milestone was seen. */
    record Milestones(Map<String, Double> at) {
        double between(String from, String to) {
            return at.get(to) - (from == null ? 0 : at.get(from));
        }
    }

    public static void main(String[] args) throws Exception {
        String conf = "conf/tiny.conf";
        String prepared = null;
        int repeats = 3;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--conf" -> conf = args[++i];
                case "--prepared" -> prepared = args[++i];
                case "--repeats" -> repeats = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + "; usage: FirstStepBench --prepared DIR [--conf FILE] [--repeats N]");
            }
        }
        if (prepared == null || !Files.isDirectory(Path.of(prepared))) {
            throw new IllegalArgumentException("--prepared " + prepared + " is not a directory; prepare it first with"
                    + " bin/spindle prepare " + conf + " --set data.prepared=DIR");
        }
        String stamp = new java.text.SimpleDateFormat("yyyyMMdd-HHmmss").format(new java.util.Date());
        List<String> rows = new ArrayList<>();
        for (int r = 1; r <= repeats; r++) {
            // alternate which goes first, so drift in the machine's speed does not favour one kind
            List<String> kinds = r % 2 == 1 ? List.of("cold", "warm") : List.of("warm", "cold");
            for (String kind : kinds) {
                String name = "bench-first-" + stamp + "-" + kind + "-" + r;
                List<String> command = new ArrayList<>(List.of("bin/spindle", "train", conf, "--set", "run.name=" + name,
                        "--set", "train.logEvery=1"));
                if (kind.equals("warm")) command.addAll(List.of("--set", "data.prepared=" + prepared));
                System.out.println("== " + String.join(" ", command) + "   (load average " + MachineCpu.loadAverage() + ")");
                Milestones m = run(command);
                String row = String.format(Locale.ROOT, "RESULT first_step kind=%s repeat=%d total_s=%.2f spark_s=%.2f data_s=%.2f"
                                + " launch_validation_s=%.2f step_s=%.2f", kind, r, m.between(null, "step"),
                        m.between(null, "spark"), m.between("spark", "data"), m.between("data", "validation"),
                        m.between("validation", "step"));
                System.out.println(row);
                rows.add(row);
            }
        }
        System.out.println();
        rows.forEach(System.out::println);
    }

    private static Milestones run(List<String> command) throws IOException, InterruptedException {
        Map<String, Double> at = new LinkedHashMap<>();
        long t0 = System.nanoTime();
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        // a command that hangs without printing must not hang the benchmark: stopping it ends readLine
        Thread watchdog = new Thread(() -> {
            try {
                Thread.sleep(TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));
                process.destroy();
            } catch (InterruptedException e) {
                // the command reached its first step in time
            }
        }, "first-step-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null && !at.containsKey("step"); line = in.readLine()) {
                double t = seconds(t0);
                System.out.printf(Locale.ROOT, "  %7.2f s | %s%n", t, line);
                if (line.startsWith("Preparing ") || line.startsWith("Using the prepared dataset")) at.putIfAbsent("spark", t);
                if (line.startsWith("Training ")) at.putIfAbsent("data", t);
                if (line.startsWith("validation at step 0:")) at.putIfAbsent("validation", t);
                if (line.startsWith("step 1/")) at.putIfAbsent("step", t);
            }
        } finally {
            watchdog.interrupt();
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) process.destroyForcibly();
        }
        for (String key : List.of("spark", "data", "validation", "step")) {
            if (!at.containsKey(key)) {
                throw new IOException(String.join(" ", command) + ": never printed the line that marks '" + key
                        + "' (seen: " + at + "); see its output above");
            }
        }
        return new Milestones(at);
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }
}
