package io.spindle.spark.cli;

import io.spindle.layers.model.MasaConversion;
import io.spindle.layers.model.SubModel;
import io.spindle.spark.config.ConfigException;
import io.spindle.spark.config.ConfigLoader;
import io.spindle.spark.config.SpindleConfig;
import io.spindle.spark.model.CheckpointModels;
import io.spindle.spark.model.DerivedModels;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "convert", mixinStandardHelpOptions = true,
        description = "Convert a trained baseline checkpoint into a MASA model: per projection type (Q, K, V, O) the"
                + " layers' matrices become a dictionary of shared atoms by PCA over layers. The result is a run"
                + " directory for eval, generate and train --set run.initFrom.")
public final class ConvertCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "RUN_OR_CHECKPOINT", description = "runs/<name> or runs/<name>/checkpoints/step-N")
    String source;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "new run directory (any Hadoop path)")
    String out;

    @Option(names = "--atoms", required = true, paramLabel = "S", description = "atoms per projection type (1..layers)")
    int atoms;

    @Override
    public Integer call() throws Exception {
        Configuration hadoopConf = new Configuration();
        CheckpointModels.Found found = CheckpointModels.find(source, hadoopConf, System.err);
        SpindleConfig config = ConfigLoader.fromText(found.content().config());
        SubModel sub;
        try {
            sub = MasaConversion.fromBaseline(config.model(), found.content().model(), atoms);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage(), e);
        }
        SpindleConfig written = DerivedModels.write(found, sub, out, hadoopConf);
        System.out.printf(Locale.ROOT, "converted %s (step %d) to MASA with %d atoms per projection: %,d parameters"
                + " (from %,d) into %s%n", found.location(), found.content().step(), atoms, sub.config().parameterCount(),
                config.model().parameterCount(), written.run().dir());
        return ExitCodes.OK;
    }
}
