package io.spindle.parallel.train;

import io.spindle.data.sampling.BatchSampler;
import io.spindle.data.sampling.SamplerPosition;
import io.spindle.data.sampling.ValidationBatches;
import io.spindle.layers.model.TransformerLM;
import io.spindle.optim.schedule.LearningRateSchedule;
import io.spindle.optim.Optimizer;
import io.spindle.optim.ParamSlot;
import io.spindle.optim.state.TensorSource;
import io.spindle.parallel.checkpoint.CheckpointContent;
import io.spindle.parallel.checkpoint.CheckpointWriter;
import io.spindle.parallel.dp.DataParallel;
import io.spindle.parallel.tp.TensorParallel;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One rank's training loop (DESIGN.md, "One training step on one rank"): batch, forward, loss,
 * backward, clip, optimizer step, metrics, and periodic validation and checkpoints. Resuming from
 * a checkpoint restores parameters, optimizer state and the data position, so every step after it
 * is the step an uninterrupted run would have taken.
 *
 * <p>Data parallel: after backward the gradients are averaged over the DP group, then clipped and
 * applied, so every rank takes the same step and the replicas stay bit-identical. The logged loss is
 * the global-batch mean (the per-rank means averaged), and the non-finite policy is decided on that
 * loss and on the norm of the synced gradients, which are identical on every rank, so all ranks stop
 * or skip together. Only DP rank 0 emits metrics, validates and writes checkpoints: its replica equals
 * everyone's, so repeating that work elsewhere would only cost time. The other ranks go on to the
 * next step's gradient all-reduce and wait there, so a validation or checkpoint must finish within
 * the communicator's I/O timeout.
 *
 * <p>Tensor parallel: the model holds this rank's slices ({@link TensorParallel#layout()}) and its
 * forward and backward communicate inside the TP group; the gradient sync above runs over the DP
 * group only (ranks holding the same slices). Clipping uses the norm of the whole logical
 * gradient. All TP ranks of DP rank 0 validate together (validation's forward is a collective) and
 * gather the logical tensors of each checkpoint; only world rank 0 emits metrics and writes.
 */
public final class RankTrainer {
    private static final Logger LOG = LoggerFactory.getLogger(RankTrainer.class);
    static final String STATE_EPOCH = "data.epoch";
    static final String STATE_WINDOW = "data.window";
    static final String STATE_SKIPPED = "train.skipped_steps";

    private final TrainingConfig config;
    private final TransformerLM model;
    private final Optimizer optimizer;
    private final LearningRateSchedule schedule;
    private final BatchSampler sampler;
    private final ValidationBatches validation;
    private final Optional<CheckpointWriter> checkpoints;
    private final MetricsSink metrics;
    private final RunIdentity identity;
    private final List<ParamSlot> slots;
    private final int localBatch;
    private final DataParallel dataParallel;
    private final TensorParallel tensorParallel;
    /** DP rank 0: validates and assembles checkpoints (with the TP group). */
    private final boolean firstReplica;
    /** DP rank 0 and TP rank 0: emits metrics and writes checkpoints. */
    private final boolean leader;
    private long skipped;

    /**
     * @param checkpoints present on the rank that writes checkpoints (rank 0)
     * @param validation  the fixed validation batches at the global batch size (used on DP rank 0 only)
     * @param metrics     where DP rank 0's rows go; other ranks emit nothing
     * @param localBatch  sequences per step on this rank (the global batch over the DP size)
     * @param dataParallel this rank's DP group ({@link DataParallel#single()} for a lone rank)
     */
    public RankTrainer(TrainingConfig config, TransformerLM model, Optimizer optimizer, LearningRateSchedule schedule,
                       BatchSampler sampler, ValidationBatches validation, Optional<CheckpointWriter> checkpoints,
                       MetricsSink metrics, RunIdentity identity, int localBatch, DataParallel dataParallel) {
        this(config, model, optimizer, schedule, sampler, validation, checkpoints, metrics, identity, localBatch,
                dataParallel, TensorParallel.single());
    }

    /**
     * As above for one rank of a DP × TP mesh.
     *
     * @param model          built with {@code tensorParallel.layout()}
     * @param tensorParallel this rank's TP group ({@link TensorParallel#single()} without tensor parallelism)
     */
    public RankTrainer(TrainingConfig config, TransformerLM model, Optimizer optimizer, LearningRateSchedule schedule,
                       BatchSampler sampler, ValidationBatches validation, Optional<CheckpointWriter> checkpoints,
                       MetricsSink metrics, RunIdentity identity, int localBatch, DataParallel dataParallel,
                       TensorParallel tensorParallel) {
        if (model.parameters().layout() != tensorParallel.layout()) {
            throw new IllegalArgumentException("the model was not built with this rank's tensor-parallel layout;"
                    + " build it as new TransformerLM(config, seed, tensorParallel.layout())");
        }
        if ((long) localBatch * dataParallel.size() != config.batch()) {
            throw new IllegalArgumentException("localBatch=" + localBatch + " × DP size " + dataParallel.size()
                    + " must equal train.batch=" + config.batch() + "; choose a train.batch divisible by parallel.dp");
        }
        this.config = config;
        this.model = model;
        this.optimizer = optimizer;
        this.schedule = schedule;
        this.sampler = sampler;
        this.validation = validation;
        this.checkpoints = checkpoints;
        this.firstReplica = dataParallel.rank() == 0;
        this.leader = firstReplica && tensorParallel.rank() == 0;
        this.metrics = leader ? metrics : row -> { };
        this.identity = identity;
        this.slots = ParameterSlots.of(model.parameters(), tensorParallel::sumsOf, tensorParallel::slicesOf);
        this.localBatch = localBatch;
        this.dataParallel = dataParallel;
        this.tensorParallel = tensorParallel;
    }

    public TrainOutcome run(Optional<CheckpointContent> resume) {
        long step = 0;
        long lastCheckpoint = -1;
        if (resume.isPresent()) {
            step = restore(resume.get());
            lastCheckpoint = step;
            metrics.emit(event("resume", step));
        } else {
            metrics.emit(event("start", 0));
        }
        double valLoss = Double.NaN;
        if (step == 0) valLoss = validate(0);
        int seq = config.seq();
        int[] inputs = new int[localBatch * seq];
        int[] targets = new int[localBatch * seq];
        while (step < config.steps()) {
            long t0 = System.nanoTime();
            sampler.next(inputs, targets);
            // Offloaded state: the first chunks are read from SSD while forward and backward run.
            optimizer.prefetch();
            model.parameters().zeroGrads();
            // MatFormer / CoLM models run their joint objective over sub-models here; others forward + backward
            float localLoss = model.forwardBackward(inputs, targets, localBatch, seq, step);
            dataParallel.sync(model.parameters().grads());
            float loss = dataParallel.mean(localLoss);
            double gradNorm = tensorParallel.clipGlobalNorm(model.parameters(), config.gradClip());
            double lr = schedule.lr(step + 1);
            boolean finite = Float.isFinite(loss) && Double.isFinite(gradNorm);
            if (!finite && config.onNonFinite() == NonFinitePolicy.STOP) {
                String kept = lastCheckpoint < 0 ? "no checkpoint was written yet"
                        : "the newest checkpoint, step " + lastCheckpoint + ", holds the last good parameters";
                String message = "loss " + loss + ", gradient norm " + gradNorm + " at step " + (step + 1)
                        + ": stopped (train.onNonFinite=stop); " + kept + ". Lower train.lr, or set"
                        + " train.onNonFinite=skip to skip such steps.";
                metrics.emit(event("non_finite_stop", step + 1));
                return new TrainOutcome(false, step, lastCheckpoint, valLoss, skipped, message);
            }
            if (finite) {
                // the step, not only its rate: a parameter group on a schedule of its own reads it there
                optimizer.step(slots, lr, step + 1);
            } else {
                skipped++;
                metrics.emit(event("non_finite_skip", step + 1));
            }
            step++;
            double stepMs = (System.nanoTime() - t0) / 1e6;
            metrics.emit(trainingRow(step, loss, lr, gradNorm, stepMs));
            boolean last = step == config.steps();
            if (step % config.evalEvery() == 0 || last) valLoss = validate(step);
            if (step % config.checkpointEvery() == 0 || last) {
                writeCheckpoint(step, lastCheckpoint);
                lastCheckpoint = step;
            }
        }
        // A run resumed at its last step takes no step: still report where it stands.
        if (Double.isNaN(valLoss)) valLoss = validate(step);
        return new TrainOutcome(true, step, lastCheckpoint, valLoss, skipped, "completed");
    }

    /** Mean validation loss over the fixed validation batches, in nats/token; emits a row. */
    double validate(long step) {
        if (!firstReplica) return Double.NaN;
        Validation.Result result = Validation.evaluate(model, validation, config.seq(), config.evalBatches());
        if (result.tokens() == 0) return Double.NaN;
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("step", step);
        row.put("val_loss", result.loss());
        row.put("val_bpb", result.bpb());
        row.put("val_ppl", result.perplexity());
        metrics.emit(row);
        return result.loss();
    }

    private Map<String, Object> trainingRow(long step, float loss, double lr, double gradNorm, double stepMs) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("step", step);
        row.put("loss", (double) loss);
        row.put("lr", lr);
        row.put("tokens", step * config.tokensPerStep());
        row.put("tokens_per_s", config.tokensPerStep() / (stepMs / 1000.0));
        row.put("grad_norm", gradNorm);
        row.put("step_ms", stepMs);
        return row;
    }

    private static Map<String, Object> event(String name, long step) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("event", name);
        row.put("step", step);
        return row;
    }

    private void writeCheckpoint(long step, long previous) {
        // with TP the first replica's ranks gather together, whether or not anyone writes
        if (!firstReplica || (checkpoints.isEmpty() && tensorParallel.size() == 1)) return;
        Map<String, INDArray> params = tensorParallel.logicalParameters(model.parameters());
        // a source: offloaded state goes from its file to the shard a tensor at a time; with TP each
        // tensor is gathered as it is produced, so the ranks that do not write produce it too
        TensorSource optimizerState = tensorParallel.logicalOptimizerState(optimizer, model.parameters());
        if (checkpoints.isEmpty()) {
            try {
                optimizerState.produce((spec, tensor) -> { });
            } catch (IOException e) {
                throw new UncheckedIOException("could not read the optimizer state for the checkpoint of step " + step
                        + ": " + e.getMessage(), e);
            }
            return;
        }
        SamplerPosition position = sampler.position();
        Map<String, String> state = new LinkedHashMap<>();
        state.put(STATE_EPOCH, Long.toString(position.epoch()));
        state.put(STATE_WINDOW, Long.toString(position.windowIndex()));
        state.put(STATE_SKIPPED, Long.toString(skipped));
        state.put("train.seed", Long.toString(config.seed()));
        CheckpointContent content = new CheckpointContent(step, identity.resolvedConfig(), identity.dataParallel(),
                identity.tensorParallel(), state, TensorSource.of(params), optimizerState);
        try {
            checkpoints.get().write(content);
        } catch (IOException e) {
            String kept = previous < 0 ? "there is no earlier checkpoint" : "the checkpoint of step " + previous
                    + " is intact";
            throw new UncheckedIOException("could not write the checkpoint of step " + step + ": " + e.getMessage()
                    + "; " + kept + ". Free space on the run directory's file system or make it writable (or set"
                    + " run.dir elsewhere), then rerun with --resume", e);
        }
        metrics.emit(event("checkpoint", step));
    }

    private long restore(CheckpointContent content) {
        ModelState.load(model.parameters(), content.modelTensors());
        tensorParallel.loadOptimizerState(optimizer, content.optimizerTensors(), model.parameters());
        sampler.seek(new SamplerPosition(Long.parseLong(content.state().get(STATE_EPOCH)),
                Long.parseLong(content.state().get(STATE_WINDOW))));
        skipped = Long.parseLong(content.state().getOrDefault(STATE_SKIPPED, "0"));
        LOG.info("resumed from the checkpoint of step {}", content.step());
        return content.step();
    }
}
