package io.spindle.parallel.train;

import io.spindle.data.sampling.BatchSampler;
import io.spindle.data.sampling.ValidationBatches;
import io.spindle.layers.model.ModelConfig;
import io.spindle.layers.model.TransformerLM;
import io.spindle.optim.Optimizer;
import io.spindle.optim.adamw.AdamW;
import io.spindle.optim.offload.OffloadConfig;
import io.spindle.optim.offload.OffloadWindow;
import io.spindle.optim.state.StateFormat;
import io.spindle.optim.schedule.WarmupCosine;
import io.spindle.parallel.checkpoint.CheckpointCatalog;
import io.spindle.parallel.checkpoint.CheckpointContent;
import io.spindle.parallel.checkpoint.CheckpointWriter;
import io.spindle.parallel.checkpoint.LocalCheckpointStorage;
import io.spindle.parallel.dp.DataParallel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

public class RankTrainerTest {
    static final ModelConfig MODEL = new ModelConfig("test", 258, 32, 2, 2, 64, 32, 10000.0, 1e-6, 0.02);

    @TempDir
    Path dir;

    /** A learnable stream: one fixed random phrase repeated, with noise that depends on the seed. */
    public static int[] tokens(int n, long seed) {
        SplittableRandom fixed = new SplittableRandom(0);
        int[] phrase = new int[23];
        for (int i = 0; i < phrase.length; i++) phrase[i] = 97 + fixed.nextInt(20);
        SplittableRandom r = new SplittableRandom(seed);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = r.nextInt(10) == 0 ? 97 + r.nextInt(20) : phrase[i % phrase.length];
        return t;
    }

    static TrainingConfig config(int steps, int checkpointEvery, NonFinitePolicy policy, double lr) {
        return new TrainingConfig(steps, 4, 16, lr, lr / 10, 2, 0.1, 0.9, 0.95, 1e-8, 1.0, 4, 2, checkpointEvery, 5,
                1, 11, policy);
    }

    private static RankTrainer trainer(TrainingConfig cfg, TransformerLM model, Optional<CheckpointWriter> writer,
                                       List<Map<String, Object>> rows) {
        return trainer(cfg, model, writer, rows, new AdamW(cfg.beta1(), cfg.beta2(), cfg.eps(), cfg.weightDecay()));
    }

    static RankTrainer trainer(TrainingConfig cfg, TransformerLM model, Optional<CheckpointWriter> writer,
                               List<Map<String, Object>> rows, Optimizer optimizer) {
        BatchSampler sampler = new BatchSampler(tokens(4000, 1), cfg.seq(), cfg.batch(), cfg.seed(), 0, 1);
        ValidationBatches val = new ValidationBatches(tokens(800, 2), cfg.seq(), cfg.batch(), cfg.evalBatches());
        return new RankTrainer(cfg, model, optimizer,
                new WarmupCosine(cfg.lr(), cfg.warmupSteps(), cfg.steps(), cfg.minLr()), sampler, val, writer,
                rows::add, new RunIdentity("model.flavor = test", 1, 1), cfg.batch(), DataParallel.single());
    }

    static List<Map<String, Object>> stepRows(List<Map<String, Object>> rows, long after) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map<String, Object> r : rows) {
            if (!r.containsKey("event") && ((Number) r.get("step")).longValue() > after) {
                Map<String, Object> copy = new java.util.LinkedHashMap<>(r);
                copy.remove("tokens_per_s"); // wall-clock figures differ between runs by nature
                copy.remove("step_ms");
                out.add(copy);
            }
        }
        return out;
    }

    @Test
    void lossFallsOnALearnableStream() {
        List<Map<String, Object>> rows = new ArrayList<>();
        TrainOutcome outcome = trainer(config(40, 100, NonFinitePolicy.STOP, 1e-2), new TransformerLM(MODEL, 3),
                Optional.empty(), rows).run(Optional.empty());
        assertTrue(outcome.completed());
        double first = rows.stream().filter(r -> r.containsKey("val_loss")).mapToDouble(r -> (double) r.get("val_loss"))
                .findFirst().orElseThrow();
        assertEquals(Math.log(258), first, 0.3, "initial validation loss should be near ln(vocab)");
        assertTrue(outcome.finalValLoss() < 3.0, "validation loss " + first + " -> " + outcome.finalValLoss());
        Map<String, Object> stepRow = rows.stream().filter(r -> r.containsKey("loss")).findFirst().orElseThrow();
        for (String key : List.of("step", "loss", "lr", "tokens", "tokens_per_s", "grad_norm", "step_ms")) {
            assertTrue(stepRow.containsKey(key), "training rows carry " + key);
        }
    }

    @Test
    void resumingFromACheckpointRepeatsTheUninterruptedRunExactly() throws IOException {
        TrainingConfig cfg = config(12, 5, NonFinitePolicy.STOP, 1e-2);
        List<Map<String, Object>> uninterrupted = new ArrayList<>();
        LocalCheckpointStorage storage = new LocalCheckpointStorage(dir);
        trainer(cfg, new TransformerLM(MODEL, 3), Optional.of(new CheckpointWriter(storage, "test", 5)), uninterrupted)
                .run(Optional.empty());

        CheckpointContent atFive = new CheckpointCatalog(storage).load(5);
        List<Map<String, Object>> resumed = new ArrayList<>();
        TrainOutcome outcome = trainer(cfg, new TransformerLM(MODEL, 99), Optional.empty(), resumed)
                .run(Optional.of(atFive));
        assertTrue(outcome.completed());
        assertEquals(stepRows(uninterrupted, 5), stepRows(resumed, 5));
        assertEquals(7, stepRows(resumed, 5).stream().filter(r -> r.containsKey("loss")).count());
    }

    /**
     * optim.offload: a run with state and master weights offloaded (window smaller than the state,
     * first chunks prefetched during forward/backward) logs the in-memory run's rows exactly, and
     * resumes from the in-memory run's checkpoint to the same rows: checkpoints cross over.
     */
    @Test
    void offloadedRunsAndResumesRepeatTheInMemoryRunExactly() throws IOException {
        TrainingConfig cfg = config(12, 5, NonFinitePolicy.STOP, 1e-2);
        List<Map<String, Object>> inMemory = new ArrayList<>();
        LocalCheckpointStorage storage = new LocalCheckpointStorage(dir.resolve("checkpoints"));
        trainer(cfg, new TransformerLM(MODEL, 3), Optional.of(new CheckpointWriter(storage, "test", 5)), inMemory)
                .run(Optional.empty());
        OffloadConfig offload = OffloadConfig.of(340L << 10, dir.resolve("offload").toString());
        List<Map<String, Object>> offloaded = new ArrayList<>();
        try (Optimizer o = offloadedAdamw(cfg, offload)) {
            trainer(cfg, new TransformerLM(MODEL, 3), Optional.empty(), offloaded, o).run(Optional.empty());
        }
        assertEquals(stepRows(inMemory, 0), stepRows(offloaded, 0));
        List<Map<String, Object>> resumed = new ArrayList<>();
        try (Optimizer o = offloadedAdamw(cfg, offload)) {
            trainer(cfg, new TransformerLM(MODEL, 99), Optional.empty(), resumed, o)
                    .run(Optional.of(new CheckpointCatalog(storage).load(5)));
        }
        assertEquals(stepRows(inMemory, 5), stepRows(resumed, 5));
    }

    private static Optimizer offloadedAdamw(TrainingConfig cfg, OffloadConfig offload) {
        try (OffloadWindow window = OffloadWindow.open(offload)) {
            return new AdamW(cfg.beta1(), cfg.beta2(), cfg.eps(), cfg.weightDecay(), AdamW.DEFAULT_DECAYED_ROLES,
                    StateFormat.DENSE.offloadedThrough(window));
        }
    }

    @Test
    void resumingACompletedRunTakesNoStepAndStillReportsValidation() throws IOException {
        TrainingConfig cfg = config(4, 4, NonFinitePolicy.STOP, 1e-2);
        LocalCheckpointStorage storage = new LocalCheckpointStorage(dir);
        TrainOutcome first = trainer(cfg, new TransformerLM(MODEL, 3),
                Optional.of(new CheckpointWriter(storage, "test", 5)), new ArrayList<>()).run(Optional.empty());
        List<Map<String, Object>> rows = new ArrayList<>();
        TrainOutcome again = trainer(cfg, new TransformerLM(MODEL, 3), Optional.empty(), rows)
                .run(Optional.of(new CheckpointCatalog(storage).load(4)));
        assertEquals(4, again.lastStep());
        assertEquals(first.finalValLoss(), again.finalValLoss(), 0.0);
        assertEquals(0, rows.stream().filter(r -> r.containsKey("loss")).count());
    }

    @Test
    void stopsCleanlyOnANonFiniteLossByDefault() {
        List<Map<String, Object>> rows = new ArrayList<>();
        TransformerLM model = new TransformerLM(MODEL, 3);
        model.parameters().get("head.weight").value().putScalar(0, 0, Float.NaN);
        TrainOutcome outcome = trainer(config(10, 100, NonFinitePolicy.STOP, 1e-2), model, Optional.empty(), rows)
                .run(Optional.empty());
        assertFalse(outcome.completed());
        assertEquals(0, outcome.lastStep());
        assertTrue(outcome.message().contains("train.onNonFinite"), outcome.message());
    }

    @Test
    void skipsNonFiniteStepsWhenAskedAndCountsThem() {
        List<Map<String, Object>> rows = new ArrayList<>();
        TransformerLM model = new TransformerLM(MODEL, 3);
        model.parameters().get("head.weight").value().putScalar(0, 0, Float.NaN);
        TrainOutcome outcome = trainer(config(3, 100, NonFinitePolicy.SKIP, 1e-2), model, Optional.empty(), rows)
                .run(Optional.empty());
        assertTrue(outcome.completed());
        assertEquals(3, outcome.skippedSteps());
        assertTrue(Float.isNaN(model.parameters().get("head.weight").value().getFloat(0, 0)));
    }

    @Test
    void refusesACheckpointOfAnotherModelConfig() throws IOException {
        LocalCheckpointStorage storage = new LocalCheckpointStorage(dir);
        TrainingConfig cfg = config(2, 2, NonFinitePolicy.STOP, 1e-2);
        trainer(cfg, new TransformerLM(MODEL, 3), Optional.of(new CheckpointWriter(storage, "t", 2)), new ArrayList<>())
                .run(Optional.empty());
        CheckpointContent saved = new CheckpointCatalog(storage).load(2);
        ModelConfig wider = new ModelConfig("test", 258, 64, 2, 2, 64, 32, 10000.0, 1e-6, 0.02);
        ModelState.IncompatibleCheckpointException e = assertThrows(ModelState.IncompatibleCheckpointException.class,
                () -> trainer(cfg, new TransformerLM(wider, 3), Optional.empty(), new ArrayList<>())
                        .run(Optional.of(saved)));
        assertTrue(e.getMessage().contains("embed.weight") || e.getMessage().contains("shape"), e.getMessage());
    }
}
