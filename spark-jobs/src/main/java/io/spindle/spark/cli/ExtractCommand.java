package io.spindle.spark.cli;

import io.spindle.layers.model.SubModel;
import io.spindle.spark.config.ConfigLoader;
import io.spindle.spark.config.SpindleConfig;
import io.spindle.spark.model.CheckpointModels;
import io.spindle.spark.model.DerivedModels;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

@Command(name = "extract", mixinStandardHelpOptions = true,
        description = "Write a standalone model derived from a MatFormer or CoLM checkpoint: a MatFormer granularity or"
                + " per-layer Mix'n'Match choice (--widths), the first k chains of a CoLM (--chains), or a CoLM grown by"
                + " one chain (--grow). The result is a run directory for eval, generate and train --set run.initFrom.")
public final class ExtractCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "RUN_OR_CHECKPOINT", description = "runs/<name> or runs/<name>/checkpoints/step-N")
    String source;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "new run directory (any Hadoop path)")
    String out;

    @ArgGroup(exclusive = true, multiplicity = "1")
    What what;

    static final class What {
        @Option(names = "--widths", split = ",", paramLabel = "W",
                description = "MatFormer FFN width: one for every layer, or one per layer (Mix'n'Match)")
        int[] widths;

        @Option(names = "--chains", paramLabel = "K", description = "CoLM: keep the first K chains")
        Integer chains;

        @Option(names = "--grow", paramLabel = "SIZE", description = "CoLM: add one chain of SIZE (new parameters from train.seed)")
        Integer grow;
    }

    @Override
    public Integer call() throws Exception {
        Configuration hadoopConf = new Configuration();
        CheckpointModels.Found found = CheckpointModels.find(source, hadoopConf, System.err);
        SubModel sub = what.widths != null ? DerivedModels.matFormer(found, what.widths)
                : what.chains != null ? DerivedModels.firstChains(found, what.chains)
                : DerivedModels.grown(found, what.grow);
        SpindleConfig written = DerivedModels.write(found, sub, out, hadoopConf);
        System.out.printf(java.util.Locale.ROOT, "extracted %s (step %d): %,d parameters (from %,d) into %s%n",
                found.location(), found.content().step(), sub.config().parameterCount(),
                ConfigLoader.fromText(found.content().config()).model().parameterCount(), written.run().dir());
        return ExitCodes.OK;
    }
}
