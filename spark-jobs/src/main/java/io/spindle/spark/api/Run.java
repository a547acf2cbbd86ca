package io.spindle.spark.api;

import com.typesafe.config.ConfigUtil;
import io.spindle.layers.model.SubModel;
import io.spindle.spark.config.ConfigLoader;
import io.spindle.spark.config.SpindleConfig;
import io.spindle.spark.generate.TextGenerator;
import io.spindle.spark.model.CheckpointModels;
import io.spindle.spark.model.DerivedModels;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.Path;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Function;

/**
 * A run directory (DESIGN.md's contract: {@code config.resolved.conf}, {@code metrics.jsonl},
 * {@code checkpoints/step-N/}) as notebooks use it: its curves, its newest checkpoint's evaluation
 * and samples, and sub-models extracted from it. Everything reads the directory again on each call,
 * so a {@code Run} stays valid while a training appends to it. I/O failures surface as
 * {@link UncheckedIOException}, since notebook cells and Scala paragraphs have no checked exceptions.
 */
public final class Run {
    private final String dir;
    private final Configuration hadoopConf;

    Run(String dir, Configuration hadoopConf) {
        this.dir = dir;
        this.hadoopConf = hadoopConf;
    }

    /** The run directory's URI. */
    public String dir() {
        return dir;
    }

    /** The config the run was trained with ({@code config.resolved.conf}). */
    public SpindleConfig config() {
        Path file = new Path(dir, "config.resolved.conf");
        return io(() -> {
            try (FSDataInputStream in = file.getFileSystem(hadoopConf).open(file)) {
                return ConfigLoader.fromText(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        }, "cannot read " + file + " (is " + dir + " a run directory?)");
    }

    public String name() {
        return config().run().name();
    }

    public long parameterCount() {
        return config().model().parameterCount();
    }

    public RunMetrics metrics() {
        return io(() -> RunMetrics.read(dir, name(), hadoopConf), "cannot read the metrics of " + dir);
    }

    /** Training and validation loss by step. */
    public BufferedImage lossChart() {
        return metrics().lossChart();
    }

    /** The newest checkpoint's loss over the whole validation split. */
    public Evaluation eval() {
        return eval(Integer.MAX_VALUE);
    }

    /** The newest checkpoint's loss over at most {@code batches} validation batches. */
    public Evaluation eval(int batches) {
        return io(() -> Evaluation.of(dir, batches, List.of(), hadoopConf), "cannot evaluate " + dir);
    }

    /** A sample with the run's {@code generate.*} settings. */
    public String generate() {
        return sample(List.of());
    }

    /** {@code prompt} continued by {@code tokens} tokens, the other settings from {@code generate.*}. */
    public String generate(String prompt, int tokens) {
        return sample(List.of("generate.prompt=" + ConfigUtil.quoteString(prompt), "generate.tokens=" + tokens));
    }

    /**
     * A MatFormer sub-model written as a new run directory {@code out}: one FFN width for every
     * layer, or one per layer (Mix'n'Match).
     */
    public Run extractWidths(String out, int... widths) {
        return extract(out, found -> DerivedModels.matFormer(found, widths));
    }

    /** The Chain-of-Model sub-model of the first {@code chains} chains, written as run directory {@code out}. */
    public Run extractChains(String out, int chains) {
        return extract(out, found -> DerivedModels.firstChains(found, chains));
    }

    @Override
    public String toString() {
        return dir;
    }

    private String sample(List<String> overrides) {
        return io(() -> TextGenerator.sample(CheckpointModels.load(dir, overrides, hadoopConf, System.err)),
                "cannot load the newest checkpoint of " + dir);
    }

    private Run extract(String out, Function<CheckpointModels.Found, SubModel> choice) {
        return io(() -> {
            CheckpointModels.Found found = CheckpointModels.find(dir, hadoopConf, System.err);
            SpindleConfig written = DerivedModels.write(found, choice.apply(found), out, hadoopConf);
            return new Run(written.run().dir(), hadoopConf);
        }, "cannot extract from " + dir + " into " + out);
    }

    interface IoCall<T> {
        T call() throws IOException;
    }

    static <T> T io(IoCall<T> call, String what) {
        try {
            return call.call();
        } catch (IOException e) {
            throw new UncheckedIOException(what + ": " + e.getMessage(), e);
        }
    }
}
