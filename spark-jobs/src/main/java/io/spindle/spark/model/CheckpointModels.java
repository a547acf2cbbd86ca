package io.spindle.spark.model;

import io.spindle.layers.model.TransformerLM;
import io.spindle.parallel.checkpoint.CheckpointCatalog;
import io.spindle.parallel.checkpoint.CheckpointContent;
import io.spindle.parallel.checkpoint.CorruptCheckpointException;
import io.spindle.parallel.train.ModelState;
import io.spindle.spark.config.ConfigException;
import io.spindle.spark.config.ConfigLoader;
import io.spindle.spark.config.SpindleConfig;
import io.spindle.spark.fs.HadoopCheckpointStorage;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import java.util.Optional;

/**
 * Rebuilds a trained model from a checkpoint for eval and generate. Accepts a run directory (the
 * newest valid checkpoint is used) or one {@code step-N} checkpoint directory; the model config
 * comes from the checkpoint's own manifest, so no config file is needed.
 */
public final class CheckpointModels {
    private CheckpointModels() {}

    /** A model with its checkpoint's config and step. */
    public record Loaded(SpindleConfig config, TransformerLM model, long step, String location) {}

    public static Loaded load(String runOrCheckpoint, List<String> overrides, Configuration hadoopConf,
                              PrintStream warnings) throws IOException {
        Found found = find(runOrCheckpoint, hadoopConf, warnings);
        SpindleConfig config = ConfigLoader.fromText(found.content().config(), overrides);
        TransformerLM model = new TransformerLM(config.model(), config.train().seed());
        ModelState.load(model.parameters(), found.content().model());
        return new Loaded(config, model, found.content().step(), found.location());
    }

    /** A checkpoint's content and the directory it was read from. */
    public record Found(CheckpointContent content, String location) {}

    /** The checkpoint at {@code runOrCheckpoint}: the newest valid one of a run directory, or the given step-N. */
    public static Found find(String runOrCheckpoint, Configuration hadoopConf, PrintStream warnings) throws IOException {
        Path given = new Path(runOrCheckpoint);
        org.apache.hadoop.fs.FileSystem fs = given.getFileSystem(hadoopConf);
        if (!fs.exists(given)) {
            throw new ConfigException(runOrCheckpoint + " does not exist; pass a run directory (runs/<name>) or one of"
                    + " its checkpoints (runs/<name>/checkpoints/step-N)");
        }
        CheckpointContent content;
        String location;
        if (fs.exists(new Path(given, "manifest.json"))) {
            String name = given.getName();
            if (!name.matches("step-\\d+")) {
                throw new ConfigException(runOrCheckpoint + " holds a manifest but is not named step-N");
            }
            CheckpointCatalog catalog = new CheckpointCatalog(
                    new HadoopCheckpointStorage(given.getParent().toString(), hadoopConf));
            try {
                content = catalog.load(Long.parseLong(name.substring("step-".length())));
            } catch (CorruptCheckpointException e) {
                throw new ConfigException(e.getMessage() + "; this checkpoint is unusable: pass the run directory to use"
                        + " its newest valid checkpoint, or another checkpoints/step-N", e);
            }
            location = given.toString();
        } else {
            Path checkpoints = new Path(given, "checkpoints");
            CheckpointCatalog catalog = new CheckpointCatalog(new HadoopCheckpointStorage(checkpoints.toString(), hadoopConf));
            Optional<CheckpointContent> latest = catalog.loadLatestValid(warnings::println);
            if (latest.isEmpty()) {
                throw new ConfigException(runOrCheckpoint + " holds no valid checkpoint under " + checkpoints
                        + "; train first (`spindle train CONF`) or pass a checkpoint directory");
            }
            content = latest.get();
            location = new Path(checkpoints, "step-" + content.step()).toString();
        }
        return new Found(content, location);
    }
}
