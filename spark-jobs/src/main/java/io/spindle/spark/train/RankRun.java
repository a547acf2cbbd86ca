package io.spindle.spark.train;

import io.spindle.data.sampling.BatchSampler;
import io.spindle.data.sampling.ValidationBatches;
import io.spindle.layers.model.TransformerLM;
import io.spindle.optim.Optimizer;
import io.spindle.optim.schedule.LearningRateSchedule;
import io.spindle.parallel.checkpoint.CheckpointCatalog;
import io.spindle.parallel.checkpoint.CheckpointContent;
import io.spindle.parallel.checkpoint.CheckpointWriter;
import io.spindle.parallel.dp.DataParallel;
import io.spindle.parallel.tp.TensorParallel;
import io.spindle.parallel.train.MetricsSink;
import io.spindle.parallel.train.ModelState;
import io.spindle.parallel.train.Optimizers;
import io.spindle.parallel.train.RankTrainer;
import io.spindle.parallel.train.RunIdentity;
import io.spindle.parallel.train.TrainOutcome;
import io.spindle.parallel.train.TrainingConfig;
import io.spindle.spark.config.SpindleConfig;
import io.spindle.spark.model.CheckpointModels;
import io.spindle.data.shard.TokenDataset;
import io.spindle.spark.prepare.TokenDatasetLoader;
import io.spindle.spark.fs.HadoopCheckpointStorage;
import org.apache.hadoop.conf.Configuration;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Assembles one rank from the config (data, model, optimizer, schedule, checkpoints) and runs
 * its {@link RankTrainer}. Spark-free apart from Hadoop I/O, so tests run it directly.
 */
public final class RankRun {
    private RankRun() {}

    /**
     * A rank without tensor parallelism (parallel.tp = 1).
     *
     * @param dataParallel this rank's DP group (size parallel.dp); its rank is this rank's data shard
     * @param metrics      where rank 0's rows go (other ranks emit nothing)
     */
    public static TrainOutcome train(SpindleConfig config, DataParallel dataParallel, Configuration hadoopConf,
                                     MetricsSink metrics) throws IOException {
        try (TensorParallel alone = TensorParallel.single()) {
            return train(config, dataParallel, alone, hadoopConf, metrics);
        }
    }

    /**
     * One rank of the dp × tp mesh.
     *
     * @param dataParallel   this rank's DP group (size parallel.dp); its rank is this rank's data shard
     * @param tensorParallel this rank's TP group (size parallel.tp); the model holds the slices of its TP rank
     * @param metrics        where world rank 0's rows go (other ranks emit nothing)
     */
    public static TrainOutcome train(SpindleConfig config, DataParallel dataParallel, TensorParallel tensorParallel,
                                     Configuration hadoopConf, MetricsSink metrics) throws IOException {
        TrainingConfig train = config.train();
        int dp = config.parallel().dp();
        if (dataParallel.size() != dp) {
            throw new IllegalArgumentException("the DP group has " + dataParallel.size() + " ranks but parallel.dp=" + dp);
        }
        if (tensorParallel.size() != config.parallel().tp()) {
            throw new IllegalArgumentException("the TP group has " + tensorParallel.size() + " ranks but parallel.tp="
                    + config.parallel().tp());
        }
        int rank = dataParallel.rank();
        boolean worldRankZero = rank == 0 && tensorParallel.rank() == 0;
        TokenDataset data = TokenDatasetLoader.load(config.data().prepared(), hadoopConf);
        BatchSampler sampler = new BatchSampler(data.train(), train.seq(), train.batch() / dp, train.seed(), rank, dp);
        // Rank 0 validates alone at the global batch, so val_loss matches DP=1 and `spindle eval`.
        ValidationBatches validation = new ValidationBatches(data.validation(), train.seq(), train.batch(),
                train.evalBatches());
        TransformerLM model = new TransformerLM(config.model(), train.seed(), tensorParallel.layout());
        LearningRateSchedule schedule = train.schedule();
        HadoopCheckpointStorage storage = new HadoopCheckpointStorage(config.run().checkpointsDir(), hadoopConf);
        Optional<CheckpointContent> resume = new CheckpointCatalog(storage).loadLatestValid(warning -> {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("event", "checkpoint_skipped");
            row.put("step", -1);
            row.put("message", warning);
            metrics.emit(row);
        });
        Optional<CheckpointWriter> writer = worldRankZero
                ? Optional.of(new CheckpointWriter(storage, GitRevision.current(), train.keepCheckpoints()))
                : Optional.empty();
        if (resume.isEmpty() && !config.run().initFrom().isBlank()) {
            // Parameters only: a derived model (extracted, grown, converted) starts a run of its own.
            ModelState.load(model.parameters(),
                    CheckpointModels.find(config.run().initFrom(), hadoopConf, System.err).content().model());
        }
        // Built last and closed here: with optim.offload it owns scratch files and an off-heap window.
        try (Optimizer optimizer = Optimizers.create(config.optim(), train)) {
            RankTrainer trainer = new RankTrainer(train, model, optimizer, schedule, sampler, validation, writer,
                    metrics, new RunIdentity(config.resolvedText(), dp, config.parallel().tp()), train.batch() / dp,
                    dataParallel, tensorParallel);
            return trainer.run(resume);
        }
    }
}
