package io.spindle.spark.api;

import io.spindle.data.sampling.ValidationBatches;
import io.spindle.data.shard.TokenDataset;
import io.spindle.parallel.train.Validation;
import io.spindle.spark.config.ConfigException;
import io.spindle.spark.model.CheckpointModels;
import io.spindle.spark.prepare.TokenDatasetLoader;
import org.apache.hadoop.conf.Configuration;

import java.io.IOException;
import java.util.List;
import java.util.Locale;

/**
 * A checkpoint's loss on its run's validation split (or the prepared dataset an override names),
 * as {@code spindle eval} prints it.
 *
 * @param checkpoint the step-N directory that was evaluated
 * @param parameters the model's parameter count
 * @param loss       nats per token
 * @param bpb        bits per byte
 * @param tokens     validation tokens scored
 */
public record Evaluation(String checkpoint, long step, long parameters, double loss, double perplexity, double bpb,
                         long tokens) {

    /** Evaluates at most {@code batches} validation batches of the run or checkpoint {@code source}. */
    public static Evaluation of(String source, int batches, List<String> overrides, Configuration hadoopConf)
            throws IOException {
        CheckpointModels.Loaded loaded = CheckpointModels.load(source, overrides, hadoopConf, System.err);
        TokenDataset data = TokenDatasetLoader.load(loaded.config().data().prepared(), hadoopConf);
        int seq = loaded.config().train().seq();
        ValidationBatches validation = new ValidationBatches(data.validation(), seq, loaded.config().train().batch(),
                batches);
        Validation.Result r = Validation.evaluate(loaded.model(), validation, seq, batches);
        if (r.tokens() == 0) {
            throw new ConfigException("the validation split of " + loaded.config().data().prepared()
                    + " holds fewer than one batch of " + loaded.config().train().batch() + " x " + seq
                    + " tokens; prepare more data or lower train.batch with --set");
        }
        return new Evaluation(loaded.location(), loaded.step(), loaded.model().parameters().totalSize(), r.loss(),
                r.perplexity(), r.bpb(), r.tokens());
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "checkpoint %s (step %d, %,d parameters)%nval_loss %.4f nats/token"
                + "  perplexity %.3f  val_bpb %.4f  (%,d tokens)", checkpoint, step, parameters, loss, perplexity, bpb,
                tokens);
    }
}
