package io.spindle.spark.cli;

import io.spindle.data.sampling.ValidationBatches;
import io.spindle.data.shard.TokenDataset;
import io.spindle.parallel.train.Validation;
import io.spindle.spark.model.CheckpointModels;
import io.spindle.spark.prepare.TokenDatasetLoader;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
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
        Configuration hadoopConf = new Configuration();
        CheckpointModels.Loaded loaded = CheckpointModels.load(source, overrides, hadoopConf, System.err);
        TokenDataset data = TokenDatasetLoader.load(loaded.config().data().prepared(), hadoopConf);
        int seq = loaded.config().train().seq();
        ValidationBatches validation = new ValidationBatches(data.validation(), seq, loaded.config().train().batch(),
                batches);
        Validation.Result r = Validation.evaluate(loaded.model(), validation, seq, batches);
        if (r.tokens() == 0) {
            throw new io.spindle.spark.config.ConfigException("the validation split of " + loaded.config().data().prepared()
                    + " holds fewer than one batch of " + loaded.config().train().batch() + " x " + seq
                    + " tokens; prepare more data or lower train.batch with --set");
        }
        System.out.printf(Locale.ROOT, "checkpoint %s (step %d, %,d parameters)%nval_loss %.4f nats/token  perplexity %.3f  val_bpb %.4f"
                + "  (%,d tokens)%n", loaded.location(), loaded.step(), loaded.model().parameters().totalSize(), r.loss(), r.perplexity(), r.bpb(), r.tokens());
        return ExitCodes.OK;
    }
}
