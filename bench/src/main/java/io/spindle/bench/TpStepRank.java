package io.spindle.bench;

import io.spindle.data.sampling.BatchSampler;
import io.spindle.data.sampling.ValidationBatches;
import io.spindle.data.shard.TokenDataset;
import io.spindle.layers.model.TransformerLM;
import io.spindle.optim.schedule.WarmupCosine;
import io.spindle.parallel.comm.Communicator;
import io.spindle.parallel.comm.InProcessGroup;
import io.spindle.parallel.comm.TcpRingCommunicator;
import io.spindle.parallel.comm.TimingCommunicator;
import io.spindle.parallel.dp.DataParallel;
import io.spindle.parallel.tp.TensorParallel;
import io.spindle.parallel.tp.TensorParallelPlan;
import io.spindle.parallel.train.Optimizers;
import io.spindle.parallel.train.RankTrainer;
import io.spindle.parallel.train.RunIdentity;
import io.spindle.parallel.train.TrainOutcome;
import io.spindle.parallel.train.TrainingConfig;
import io.spindle.spark.config.ConfigLoader;
import io.spindle.spark.config.SpindleConfig;
import io.spindle.spark.prepare.TokenDatasetLoader;
import org.apache.hadoop.conf.Configuration;

import java.io.File;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Child JVM of {@link TpStepBench}: one rank of a TP group (parallel.dp = 1) training the config's
 * model with the {@code RankTrainer} that {@code spindle train} runs, its TP group's communicator
 * wrapped in a {@link TimingCommunicator} and its optimizer in a {@link StepClock}, which prints
 * one {@code STEP} line per step. With tp &gt; 1 the rank joins a {@link TcpRingCommunicator} ring
 * over loopback exactly as a Spark task joins its TP ring (own listener, addresses from the
 * parent as from {@code BarrierTaskContext.allGather}, job-secret handshake; {@link RingRendezvous}).
 *
 * <p>The rank is assembled as {@code RankRun} assembles it (same data, sampler, model with the TP
 * layout of {@link TensorParallelPlan#forModel}, optimizer, schedule), without checkpoints or
 * resume: nothing is written. Rank 0 also prints {@code LOSS step loss} per step, so that runs with
 * different TP sizes can be seen to train the same model.
 *
 * <p>Usage: {@code TpStepRank CONF tp rank [--set key=value]...}; the dataset must be prepared at
 * {@code data.prepared}.
 */
public final class TpStepRank {
    private TpStepRank() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 3 || args.length % 2 == 0) {
            System.err.println("usage: TpStepRank CONF tp rank [--set key=value]...");
            System.exit(2);
        }
        int tp = Integer.parseInt(args[1]);
        int rank = Integer.parseInt(args[2]);
        List<String> overrides = new ArrayList<>();
        for (int i = 3; i < args.length; i += 2) {
            if (!args[i].equals("--set")) throw new IllegalArgumentException("unknown argument " + args[i] + "; use --set key=value");
            overrides.add(args[i + 1]);
        }
        overrides.add("parallel.tp=" + tp);
        overrides.add("parallel.dp=1");
        // listening first, so that the parent can introduce the ranks while each loads its data
        ServerSocketChannel listener = tp > 1 ? RingRendezvous.listen() : null;
        SpindleConfig config = ConfigLoader.load(new File(args[0]), overrides);
        BenchEnvironment.print();
        TimingCommunicator group = new TimingCommunicator(join(config, tp, rank, listener));
        TrainOutcome outcome;
        try (TensorParallel tensorParallel = new TensorParallel(group, TensorParallelPlan.forModel(config.model()));
             DataParallel alone = DataParallel.single();
             StepClock optimizer = new StepClock(Optimizers.create(config.optim(), config.train()), group, System.out)) {
            outcome = trainer(config, tensorParallel, alone, optimizer).run(Optional.empty());
        }
        if (!outcome.completed()) throw new IllegalStateException("training stopped: " + outcome.message());
        System.out.printf("DONE %.1f%n", CpuTime.process() / 1e6);
    }

    private static Communicator join(SpindleConfig config, int tp, int rank, ServerSocketChannel listener) throws Exception {
        if (tp == 1) return InProcessGroup.create(1).get(0);
        RingRendezvous ring = RingRendezvous.await();
        return TcpRingCommunicator.connect(rank, ring.peers(), listener, ring.secret(), config.parallel().comm());
    }

    private static RankTrainer trainer(SpindleConfig config, TensorParallel tensorParallel, DataParallel alone,
                                       StepClock optimizer) throws Exception {
        TrainingConfig train = config.train();
        TokenDataset data = TokenDatasetLoader.load(config.data().prepared(), new Configuration());
        // every rank of a TP group reads the same batch: one data shard (DP rank 0 of 1)
        BatchSampler sampler = new BatchSampler(data.train(), train.seq(), train.batch(), train.seed(), 0, 1);
        ValidationBatches validation = new ValidationBatches(data.validation(), train.seq(), train.batch(),
                train.evalBatches());
        TransformerLM model = new TransformerLM(config.model(), train.seed(), tensorParallel.layout());
        WarmupCosine schedule = new WarmupCosine(train.lr(), train.warmupSteps(), train.steps(), train.minLr());
        return new RankTrainer(train, model, optimizer, schedule, sampler, validation, Optional.empty(), row -> {
            if (row.containsKey("loss")) System.out.println("LOSS " + row.get("step") + " " + row.get("loss"));
        }, new RunIdentity(config.resolvedText(), 1, tensorParallel.size()), train.batch(), alone, tensorParallel);
    }
}
