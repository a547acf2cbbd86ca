package io.spindle.spark.cli;

import io.spindle.spark.config.ConfigException;
import io.spindle.spark.report.RunMetrics;
import io.spindle.spark.report.RunReport;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;

@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Loss and throughput curves (PNG) and a summary table (Markdown) of one run, or of several runs"
                + " side by side, from their metrics.jsonl. Reads and writes any Hadoop path.")
public final class ReportCommand implements Callable<Integer> {
    /** A chart holds one color per line; with more than 4 runs the loss chart shows validation only. */
    static final int MAX_RUNS = 8;

    @Parameters(paramLabel = "RUN_DIR", arity = "1..*", description = "run directories (runs/<name>, hdfs://...)")
    List<String> runDirs;

    @Option(names = "--out", paramLabel = "DIR",
            description = "where loss.png, throughput.png and summary.md go (default: RUN_DIR/report for one run;"
                    + " required for several)")
    String out;

    @Override
    public Integer call() throws Exception {
        if (runDirs.size() > MAX_RUNS) {
            throw new ConfigException("spindle report compares at most " + MAX_RUNS + " runs at once (one color each);"
                    + " got " + runDirs.size() + ": split them into several reports");
        }
        if (out == null && runDirs.size() > 1) {
            throw new ConfigException("spindle report with " + runDirs.size() + " runs needs --out DIR for the"
                    + " comparison (it would otherwise write into one of the runs)");
        }
        Configuration hadoopConf = new Configuration();
        List<RunReport.Named> runs = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (String dir : runDirs) {
            String name = new Path(dir).getName();
            if (!names.add(name)) name = dir;   // two runs/<x> of different parents: use the whole path
            runs.add(new RunReport.Named(name, read(new Path(dir, "metrics.jsonl"), hadoopConf)));
        }
        Path target = new Path(out != null ? out : runDirs.get(0) + "/report");
        FileSystem fs = target.getFileSystem(hadoopConf);
        fs.mkdirs(target);
        String table = RunReport.summaryTable(runs);
        write(fs, new Path(target, "loss.png"), RunReport.lossChart(runs).png(900, 540));
        write(fs, new Path(target, "throughput.png"), RunReport.throughputChart(runs).png(900, 540));
        write(fs, new Path(target, "summary.md"), ("# Spindle report\n\n![loss](loss.png)\n\n![throughput](throughput.png)\n\n"
                + table).getBytes(StandardCharsets.UTF_8));
        System.out.print(table);
        System.out.println("charts and table: " + fs.makeQualified(target));
        return ExitCodes.OK;
    }

    private static RunMetrics read(Path file, Configuration hadoopConf) throws IOException {
        FileSystem fs = file.getFileSystem(hadoopConf);
        if (!fs.exists(file)) {
            throw new ConfigException(file + " does not exist: pass a run directory that spindle train wrote"
                    + " (it holds metrics.jsonl), e.g. runs/<run.name>");
        }
        RunMetrics metrics;
        try (InputStreamReader in = new InputStreamReader(fs.open(file), StandardCharsets.UTF_8)) {
            metrics = RunMetrics.read(in, file.toString());
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage(), e);
        }
        if (metrics.isEmpty()) {
            throw new ConfigException(file + " has no training or validation rows yet; report on a run that has"
                    + " trained at least one step");
        }
        return metrics;
    }

    private static void write(FileSystem fs, Path file, byte[] bytes) throws IOException {
        try (FSDataOutputStream o = fs.create(file, true)) {
            o.write(bytes);
        }
    }
}
