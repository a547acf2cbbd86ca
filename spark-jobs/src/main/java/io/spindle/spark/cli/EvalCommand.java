package io.spindle.spark.cli;

import io.spindle.spark.api.Evaluation;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Validation loss (nats/token), perplexity and bits per byte of a trained model on its run's"
                + " validation split (or another prepared dataset with --set data.prepared=DIR).")
public final class EvalCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "RUN_OR_CHECKPOINT", description = "runs/<name> or runs/<name>/checkpoints/step-N")
    String source;

    @Option(names = "--batches", description = "evaluate at most this many validation batches (default: all)")
    int batches = Integer.MAX_VALUE;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "override a config key (repeatable)")
    List<String> overrides = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        System.out.println(Evaluation.of(source, batches, overrides, new Configuration()));
        return ExitCodes.OK;
    }
}
