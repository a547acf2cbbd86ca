package io.spindle.bench;

import io.spindle.spark.config.ConfigLoader;
import io.spindle.spark.config.SpindleConfig;
import io.spindle.spark.report.LineChart;
import io.spindle.spark.report.RunMetrics;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The optimizer comparison's plot and table (docs/optimizers.md) from the runs' {@code metrics.jsonl}
 * and {@link OptimizerStepBench}'s output: validation loss curves as a PNG drawn by
 * {@link LineChart}, and a Markdown table of final validation loss, the run's median training
 * tokens/s, optimizer ms/step, the tokens/s of a whole step measured under the same load for all
 * optimizers, and state bytes per parameter.
 *
 * <p>Usage: {@code OptimizerReport --png FILE --table FILE --steps STEP_BENCH_OUTPUT RUN_DIR...};
 * each run directory holds {@code config.resolved.conf} and {@code metrics.jsonl}.
 */
public final class OptimizerReport {
    /** What one run's files say. */
    record Run(String optimizer, double matrixLr, SortedCurve validation, double finalValBpb, double medianTokensPerS) {}

    /** Validation loss by step; for a resumed run the later row of a step wins. */
    record SortedCurve(double[] steps, double[] losses) {
        double last() { return losses[losses.length - 1]; }
    }

    private OptimizerReport() {}

    public static void main(String[] args) throws IOException {
        Path png = null;
        Path table = null;
        Path stepBench = null;
        List<Path> runs = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--png" -> png = Path.of(args[++i]);
                case "--table" -> table = Path.of(args[++i]);
                case "--steps" -> stepBench = Path.of(args[++i]);
                default -> runs.add(Path.of(args[i]));
            }
        }
        if (png == null || table == null || stepBench == null || runs.isEmpty()) {
            System.err.println("usage: OptimizerReport --png FILE --table FILE --steps STEP_BENCH_OUTPUT RUN_DIR...");
            System.exit(2);
        }
        List<Run> loaded = new ArrayList<>();
        for (Path dir : runs) loaded.add(read(dir));
        Map<String, Map<String, String>> steps = results(stepBench, "optimizer_step", "name");
        Files.createDirectories(png.toAbsolutePath().getParent());
        Files.write(png, chart(loaded, runs.size()).png(900, 560));
        String markdown = table(loaded, steps);
        Files.writeString(table, markdown);
        System.out.print(markdown);
        System.out.println("plot: " + png);
    }

    static Run read(Path dir) {
        SpindleConfig config = ConfigLoader.fromText(readString(dir.resolve("config.resolved.conf")));
        RunMetrics metrics;
        try (var in = Files.newBufferedReader(dir.resolve("metrics.jsonl"))) {
            metrics = RunMetrics.read(in, dir.resolve("metrics.jsonl").toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + dir.resolve("metrics.jsonl"), e);
        }
        List<RunMetrics.ValRow> validation = metrics.validation();
        List<RunMetrics.TrainRow> train = metrics.train();
        if (validation.isEmpty() || train.isEmpty()) {
            throw new IllegalArgumentException(dir + "/metrics.jsonl has no validation or training rows; did the run finish?");
        }
        double[] steps = validation.stream().mapToDouble(RunMetrics.ValRow::step).toArray();
        double[] losses = validation.stream().mapToDouble(RunMetrics.ValRow::loss).toArray();
        double[] tps = train.stream().mapToDouble(RunMetrics.TrainRow::tokensPerS).sorted().toArray();
        String name = config.optim().name();
        double matrixLr = name.equals("adamw") || name.equals("lamb")
                ? config.train().lr() : config.train().lr() * config.optim().matrixLrScale();
        return new Run(name, matrixLr, new SortedCurve(steps, losses), validation.get(validation.size() - 1).bpb(),
                tps[(tps.length - 1) / 2]);
    }

    /** Every run's curve; the y axis leaves out step 0, where all runs start at the same ~5.6 nats. */
    static LineChart chart(List<Run> runs, int count) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (Run r : runs) {
            for (int i = 0; i < r.validation().steps().length; i++) {
                if (r.validation().steps()[i] == 0 || !Double.isFinite(r.validation().losses()[i])) continue;
                lo = Math.min(lo, r.validation().losses()[i]);
                hi = Math.max(hi, r.validation().losses()[i]);
            }
        }
        LineChart chart = new LineChart("Validation loss, " + count + " optimizers, same model, data and steps",
                "step", "validation loss (nats/token)");
        for (Run r : runs) {
            chart.add(new LineChart.Series(r.optimizer(), r.validation().steps(), r.validation().losses()));
        }
        if (lo < hi) {
            double pad = 0.05 * (hi - lo);
            chart.yRange(Math.floor((lo - pad) * 20) / 20, Math.ceil((hi + pad) * 20) / 20);
        }
        return chart;
    }

    static String table(List<Run> runs, Map<String, Map<String, String>> steps) {
        StringBuilder out = new StringBuilder();
        out.append("| optimizer | lr of the hidden matrices | final val loss (nats/token) | final val bits/byte "
                + "| run's median tokens/s | optimizer ms/step | tokens/s, same load | state bytes/parameter |\n");
        out.append("|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Run r : runs) {
            Map<String, String> s = steps.get(r.optimizer());
            if (s == null) {
                throw new IllegalArgumentException("the step benchmark output has no line for " + r.optimizer()
                        + "; run OptimizerStepBench on the same configs");
            }
            out.append(String.format(Locale.ROOT, "| %s | %s | %.4f | %.4f | %,.0f | %s | %,.0f | %.2f |%n", r.optimizer(),
                    fmt(r.matrixLr()), r.validation().last(), r.finalValBpb(), r.medianTokensPerS(),
                    s.get("ms_median"), Double.parseDouble(s.get("tokens_per_s_same_load")),
                    Double.parseDouble(s.get("state_bytes_per_param"))));
        }
        return out.toString();
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.3g", v).replaceAll("\\.?0+($|e)", "$1");
    }

    /** {@code RESULT <kind> k=v ...} lines of a benchmark's output, keyed by the value of {@code key}. */
    static Map<String, Map<String, String>> results(Path file, String kind, String key) {
        Map<String, Map<String, String>> out = new LinkedHashMap<>();
        for (String line : readString(file).split("\n")) {
            String[] parts = line.trim().split("\\s+");
            if (parts.length < 3 || !parts[0].equals("RESULT") || !parts[1].equals(kind)) continue;
            Map<String, String> fields = new HashMap<>();
            for (String p : Arrays.copyOfRange(parts, 2, parts.length)) {
                int eq = p.indexOf('=');
                if (eq > 0) fields.put(p.substring(0, eq), p.substring(eq + 1));
            }
            out.put(fields.get(key), fields);
        }
        return out;
    }

    private static String readString(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
