package io.spindle.spark.api;

import io.spindle.spark.report.LineChart;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.awt.image.BufferedImage;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * The loss curves of one run for notebooks, read from its {@code metrics.jsonl} (on any Hadoop
 * FileSystem) by {@link io.spindle.spark.report.RunMetrics}, which {@code spindle report} uses too:
 * a resumed or relaunched run repeats steps after its checkpoint and the later row of a step wins.
 */
public final class RunMetrics {
    private final String name;
    private final NavigableMap<Long, Double> training;
    private final NavigableMap<Long, Double> validation;

    private RunMetrics(String name, NavigableMap<Long, Double> training, NavigableMap<Long, Double> validation) {
        this.name = name;
        this.training = training;
        this.validation = validation;
    }

    /** Reads {@code <runDir>/metrics.jsonl}; {@code name} labels the run's lines in charts. */
    public static RunMetrics read(String runDir, String name, Configuration hadoopConf) throws IOException {
        Path file = new Path(runDir, "metrics.jsonl");
        FileSystem fs = file.getFileSystem(hadoopConf);
        if (!fs.exists(file)) {
            throw new IllegalArgumentException(file + " does not exist: " + runDir + " is not a trained run directory"
                    + " (train it first, or pass the run.dir a training wrote)");
        }
        io.spindle.spark.report.RunMetrics rows;
        try (FSDataInputStream in = fs.open(file);
             BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            rows = io.spindle.spark.report.RunMetrics.read(lines, file.toString());
        }
        NavigableMap<Long, Double> training = new TreeMap<>();
        NavigableMap<Long, Double> validation = new TreeMap<>();
        for (var r : rows.train()) training.put(r.step(), r.loss());
        for (var r : rows.validation()) validation.put(r.step(), r.loss());
        return new RunMetrics(name, training, validation);
    }

    public String name() {
        return name;
    }

    /** Training loss (nats/token) by step. */
    public LineChart.Series trainingLoss() {
        return series(name + " train", training);
    }

    /** Validation loss (nats/token) by step. */
    public LineChart.Series validationLoss() {
        return series(name + " validation", validation);
    }

    /** The validation loss of the last validated step; NaN when the run has not validated yet. */
    public double lastValidationLoss() {
        return validation.isEmpty() ? Double.NaN : validation.lastEntry().getValue();
    }

    public long lastStep() {
        return Math.max(training.isEmpty() ? -1 : training.lastKey(), validation.isEmpty() ? -1 : validation.lastKey());
    }

    /** Training and validation loss of this run, 720 × 400 pixels. */
    public BufferedImage lossChart() {
        return new LineChart(name + ": loss", "step", "loss (nats/token)")
                .add(trainingLoss()).add(validationLoss()).render(720, 400);
    }

    /** The validation loss curves of several runs in one chart. */
    public static BufferedImage validationChart(String title, RunMetrics... runs) {
        LineChart chart = new LineChart(title, "step", "validation loss (nats/token)");
        for (RunMetrics run : runs) chart.add(run.validationLoss());
        return chart.render(720, 400);
    }

    private static LineChart.Series series(String name, Map<Long, Double> byStep) {
        double[] x = new double[byStep.size()];
        double[] y = new double[byStep.size()];
        int i = 0;
        for (Map.Entry<Long, Double> e : byStep.entrySet()) {
            x[i] = e.getKey();
            y[i++] = e.getValue();
        }
        return new LineChart.Series(name, x, y);
    }
}
