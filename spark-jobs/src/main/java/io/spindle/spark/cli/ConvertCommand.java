package io.spindle.spark.cli;

import io.spindle.data.sampling.ValidationBatches;
import io.spindle.layers.mla.LatentTransform;
import io.spindle.layers.model.MasaConversion;
import io.spindle.layers.model.SubModel;
import io.spindle.layers.model.TplaConversion;
import io.spindle.spark.config.ConfigException;
import io.spindle.spark.config.ConfigLoader;
import io.spindle.spark.config.SpindleConfig;
import io.spindle.spark.model.CheckpointModels;
import io.spindle.spark.model.DerivedModels;
import io.spindle.spark.prepare.TokenDatasetLoader;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "convert", mixinStandardHelpOptions = true,
        description = "Convert a trained checkpoint into another attention form. --to masa (default): a baseline's"
                + " Q, K, V, O matrices become per-type dictionaries of shared atoms by PCA over layers (--atoms)."
                + " --to tpla: an MLA model decodes over --tp tensor-parallel ranks, each caching 1/T of the latent,"
                + " after an orthogonal --transform of the latent folded into the weights. The result is a run"
                + " directory for eval, generate and train --set run.initFrom.")
public final class ConvertCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "RUN_OR_CHECKPOINT", description = "runs/<name> or runs/<name>/checkpoints/step-N")
    String source;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "new run directory (any Hadoop path)")
    String out;

    @Option(names = "--to", paramLabel = "FORM", description = "masa | tpla (default: masa)")
    String to = "masa";

    @Option(names = "--atoms", paramLabel = "S", description = "masa: atoms per projection type (1..layers)")
    Integer atoms;

    @Option(names = "--tp", paramLabel = "T", description = "tpla: tensor-parallel ranks, a divisor of model.mla.latent")
    Integer tp;

    @Option(names = "--transform", paramLabel = "KIND",
            description = "tpla: hadamard (latent a power of two) | pca (from the run's validation data) | none (default: hadamard)")
    String transform = "hadamard";

    @Option(names = "--calibration-batches", paramLabel = "N",
            description = "tpla with pca: validation batches whose latents the PCA is computed from (default: 4)")
    int calibrationBatches = 4;

    @Override
    public Integer call() throws Exception {
        Configuration hadoopConf = new Configuration();
        CheckpointModels.Found found = CheckpointModels.find(source, hadoopConf, System.err);
        SpindleConfig config = ConfigLoader.fromText(found.content().config());
        SubModel sub;
        String what;
        try {
            switch (to) {
                case "masa" -> {
                    if (atoms == null) throw new ConfigException("convert --to masa needs --atoms S (1..model.layers)");
                    sub = MasaConversion.fromBaseline(config.model(), found.content().model(), atoms);
                    what = "MASA with " + atoms + " atoms per projection";
                }
                case "tpla" -> {
                    if (tp == null) throw new ConfigException("convert --to tpla needs --tp T, the tensor-parallel ranks to decode on");
                    LatentTransform.Kind kind = transformKind();
                    int[] calibration = kind == LatentTransform.Kind.PCA ? calibration(config, hadoopConf) : null;
                    int batch = calibration == null ? 0 : calibration.length / config.train().seq();
                    sub = TplaConversion.fromMla(config.model(), found.content().model(), tp, kind, calibration, batch,
                            config.train().seq());
                    what = "TPLA over " + tp + " ranks with the " + kind.name().toLowerCase(Locale.ROOT) + " transform";
                }
                default -> throw new ConfigException("convert --to " + to + " is not known; use masa or tpla");
            }
        } catch (IllegalArgumentException e) {
            throw e instanceof ConfigException ? e : new ConfigException(e.getMessage(), e);
        }
        SpindleConfig written = DerivedModels.write(found, sub, out, hadoopConf);
        System.out.printf(Locale.ROOT, "converted %s (step %d) to %s: %,d parameters (from %,d) into %s%n", found.location(),
                found.content().step(), what, sub.config().parameterCount(), config.model().parameterCount(),
                written.run().dir());
        return ExitCodes.OK;
    }

    private LatentTransform.Kind transformKind() {
        try {
            return LatentTransform.Kind.valueOf(transform.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("--transform " + transform + " is not known; use hadamard, pca or none");
        }
    }

    /** The first {@code calibrationBatches} validation batches of the run's prepared data, as one block of sequences. */
    private int[] calibration(SpindleConfig config, Configuration hadoopConf) throws IOException {
        int seq = config.train().seq();
        ValidationBatches batches = new ValidationBatches(
                TokenDatasetLoader.load(config.data().prepared(), hadoopConf).validation(), seq, config.train().batch(),
                calibrationBatches);
        int count = Math.min(calibrationBatches, batches.size());
        if (count == 0) {
            throw new ConfigException("--transform pca needs calibration data, but the validation split of "
                    + config.data().prepared() + " holds no batch of " + config.train().batch() + " x " + seq + " tokens");
        }
        return batches.inputs(0, count);
    }
}
