package io.spindle.spark.report;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A report of one or more runs: a loss chart, a throughput chart and a Markdown summary table,
 * computed from {@link RunMetrics} alone (no Spark, no model), so the same code serves
 * {@code spindle report} and notebooks.
 */
public final class RunReport {
    /** Training loss is noisy per step; the chart shows its mean over this many steps. */
    static final int TRAIN_LOSS_WINDOW = 10;
    /** With more runs than this the loss chart shows validation curves only (a color per line). */
    private static final int RUNS_WITH_TRAIN_CURVES = 4;

    /** A run and the name it carries in charts and the table. */
    public record Named(String name, RunMetrics metrics) {}

    private RunReport() {}

    public static LineChart lossChart(List<Named> runs) {
        LineChart chart = new LineChart(runs.size() == 1 ? "Loss, " + runs.get(0).name() : "Loss, " + runs.size() + " runs",
                "step", "loss (nats/token)");
        boolean withTrain = runs.size() <= RUNS_WITH_TRAIN_CURVES;
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (Named run : runs) {
            String prefix = runs.size() == 1 ? "" : run.name() + " ";
            List<RunMetrics.TrainRow> train = run.metrics().train();
            if (withTrain && !train.isEmpty()) {
                double[] x = train.stream().mapToDouble(RunMetrics.TrainRow::step).toArray();
                double[] y = movingMean(train.stream().mapToDouble(RunMetrics.TrainRow::loss).toArray(), TRAIN_LOSS_WINDOW);
                chart.add(new LineChart.Series(prefix + "train (mean of " + TRAIN_LOSS_WINDOW + " steps)", x, y));
                for (int i = x.length / 10; i < x.length; i++) {   // the range from the last 90 % of training
                    if (Double.isFinite(y[i])) { lo = Math.min(lo, y[i]); hi = Math.max(hi, y[i]); }
                }
            }
            List<RunMetrics.ValRow> val = run.metrics().validation();
            if (!val.isEmpty()) {
                double[] x = val.stream().mapToDouble(RunMetrics.ValRow::step).toArray();
                double[] y = val.stream().mapToDouble(RunMetrics.ValRow::loss).toArray();
                chart.add(new LineChart.Series(prefix + "validation", x, y));
                for (int i = 0; i < x.length; i++) {
                    if (x[i] > 0 && Double.isFinite(y[i])) { lo = Math.min(lo, y[i]); hi = Math.max(hi, y[i]); }
                }
            }
        }
        // The first steps' loss (~ln vocab) would squeeze the interesting part into a few pixels.
        if (lo < hi) {
            double pad = 0.08 * (hi - lo);
            chart.yRange(lo - pad, hi + pad);
        }
        return chart;
    }

    public static LineChart throughputChart(List<Named> runs) {
        LineChart chart = new LineChart(runs.size() == 1 ? "Throughput, " + runs.get(0).name()
                : "Throughput, " + runs.size() + " runs", "step", "training tokens/s");
        for (Named run : runs.subList(0, Math.min(runs.size(), 8))) {
            List<RunMetrics.TrainRow> train = run.metrics().train();
            if (train.isEmpty()) continue;
            chart.add(new LineChart.Series(run.name(), train.stream().mapToDouble(RunMetrics.TrainRow::step).toArray(),
                    train.stream().mapToDouble(RunMetrics.TrainRow::tokensPerS).toArray()));
        }
        return chart;
    }

    /** One Markdown row per run. */
    public static String summaryTable(List<Named> runs) {
        StringBuilder out = new StringBuilder();
        out.append("| run | steps | train loss (last " + TRAIN_LOSS_WINDOW + ") | val loss (last) | val bits/byte "
                + "| best val loss (step) | median tokens/s | median step ms | training time | last checkpoint "
                + "| resumes + relaunches | non-finite steps skipped |\n");
        out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Named run : runs) {
            RunMetrics m = run.metrics();
            List<RunMetrics.TrainRow> train = m.train();
            List<RunMetrics.ValRow> val = m.validation();
            double[] losses = train.stream().mapToDouble(RunMetrics.TrainRow::loss).toArray();
            double lastTrain = losses.length == 0 ? Double.NaN
                    : Arrays.stream(losses, Math.max(0, losses.length - TRAIN_LOSS_WINDOW), losses.length).average().orElse(Double.NaN);
            RunMetrics.ValRow lastVal = val.isEmpty() ? null : val.get(val.size() - 1);
            RunMetrics.ValRow best = val.stream().filter(v -> Double.isFinite(v.loss()))
                    .min((a, b) -> Double.compare(a.loss(), b.loss())).orElse(null);
            double trainingSeconds = train.stream().mapToDouble(RunMetrics.TrainRow::stepMs)
                    .filter(Double::isFinite).sum() / 1000;
            out.append(String.format(Locale.ROOT, "| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %d | %d |%n",
                    run.name(), train.isEmpty() ? 0 : train.get(train.size() - 1).step(), num(lastTrain, 4),
                    lastVal == null ? "–" : num(lastVal.loss(), 4), lastVal == null ? "–" : num(lastVal.bpb(), 4),
                    best == null ? "–" : num(best.loss(), 4) + " (" + best.step() + ")",
                    num(median(train.stream().mapToDouble(RunMetrics.TrainRow::tokensPerS).toArray()), 0),
                    num(median(train.stream().mapToDouble(RunMetrics.TrainRow::stepMs).toArray()), 1),
                    duration(trainingSeconds), m.lastCheckpoint() < 0 ? "–" : "step " + m.lastCheckpoint(),
                    m.count("resume") + m.count("relaunch"), m.count("non_finite_skip")));
        }
        return out.toString();
    }

    static double[] movingMean(double[] v, int window) {
        double[] out = new double[v.length];
        double sum = 0;
        int finite = 0;
        for (int i = 0; i < v.length; i++) {
            if (Double.isFinite(v[i])) { sum += v[i]; finite++; }
            int leaving = i - window;
            if (leaving >= 0 && Double.isFinite(v[leaving])) { sum -= v[leaving]; finite--; }
            out[i] = finite == 0 ? Double.NaN : sum / finite;
        }
        return out;
    }

    static double median(double[] v) {
        double[] finite = Arrays.stream(v).filter(Double::isFinite).sorted().toArray();
        if (finite.length == 0) return Double.NaN;
        int mid = finite.length / 2;
        return finite.length % 2 == 1 ? finite[mid] : (finite[mid - 1] + finite[mid]) / 2;
    }

    private static String num(double v, int decimals) {
        if (!Double.isFinite(v)) return "–";
        return String.format(Locale.ROOT, decimals == 0 ? "%,.0f" : "%,." + decimals + "f", v);
    }

    private static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, s % 3600 / 60)
                : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }
}
