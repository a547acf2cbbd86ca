package io.spindle.parallel.train;

import io.spindle.data.sampling.BatchSampler;
import io.spindle.data.sampling.ValidationBatches;
import io.spindle.layers.model.TransformerLM;
import io.spindle.optim.adamw.AdamW;
import io.spindle.parallel.comm.WirePrecision;
import io.spindle.optim.schedule.WarmupCosine;
import io.spindle.parallel.dp.DataParallel;
import io.spindle.parallel.dp.DataParallelTest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DESIGN.md's numerical contract over 50 steps (the figure): DP=2 and DP=4 are NOT
 * bit-identical to DP=1 — each rank averages its own local batch and the ranks' means are then
 * averaged, a different float summation order than one rank's mean over the whole batch — so their
 * per-step losses are required to be within 1e-5 relative of DP=1's (measured: about 2e-7). What IS
 * bit-identical is every rank's replica to rank 0's (the all-reduce reduces in a fixed order, so all
 * ranks apply the same update), and a DP=N run to itself rerun. With bfloat16 gradients on the wire
 * the losses only stay close to DP=1 (within 1e-2 relative, a different contract).
 */
class DataParallelTrainingTest {
    private static final int STEPS = 50;
    private static final int GLOBAL_BATCH = 8;
    private static final int[] TRAIN = RankTrainerTest.tokens(8000, 1);
    private static final int[] VALIDATION = RankTrainerTest.tokens(800, 2);

    /** What one rank ends with: its metrics rows, its parameters, its outcome. */
    record RankResult(List<Map<String, Object>> rows, float[] params, TrainOutcome outcome) {
        double[] losses() {
            return rows.stream().filter(r -> r.containsKey("loss")).mapToDouble(r -> (double) r.get("loss")).toArray();
        }
    }

    private static List<RankResult> single;

    private static TrainingConfig config() {
        return new TrainingConfig(STEPS, GLOBAL_BATCH, 16, 1e-2, 1e-3, 4, 0.1, 0.9, 0.95, 1e-8, 1.0, 20, 2, 1000, 5,
                1, 11, NonFinitePolicy.STOP);
    }

    private static RankResult train(DataParallel dp) {
        TrainingConfig cfg = config();
        int localBatch = cfg.batch() / dp.size();
        BatchSampler sampler = new BatchSampler(TRAIN, cfg.seq(), localBatch, cfg.seed(), dp.rank(), dp.size());
        ValidationBatches val = new ValidationBatches(VALIDATION, cfg.seq(), cfg.batch(), cfg.evalBatches());
        TransformerLM model = new TransformerLM(RankTrainerTest.MODEL, 3);
        List<Map<String, Object>> rows = new ArrayList<>();
        TrainOutcome outcome = new RankTrainer(cfg, model, new AdamW(cfg.beta1(), cfg.beta2(), cfg.eps(), cfg.weightDecay()),
                new WarmupCosine(cfg.lr(), cfg.warmupSteps(), cfg.steps(), cfg.minLr()), sampler, val, Optional.empty(),
                rows::add, new RunIdentity("model.flavor = test", dp.size(), 1), localBatch, dp).run(Optional.empty());
        return new RankResult(rows, model.parameters().values().toFloatVector(), outcome);
    }

    private static List<RankResult> dataParallel(int n, WirePrecision wire) throws Exception {
        return DataParallelTest.onRanks(n, 4096, wire, DataParallelTrainingTest::train);
    }

    @BeforeAll
    static void singleRank() {
        try (DataParallel dp = DataParallel.single()) {
            single = List.of(train(dp));
        }
    }

    private static double maxRelativeDifference(double[] a, double[] b, int steps) {
        double max = 0;
        for (int i = 0; i < steps; i++) max = Math.max(max, Math.abs(a[i] - b[i]) / Math.abs(a[i]));
        return max;
    }

    private static void matchesSingleRank(int n) throws Exception {
        List<RankResult> ranks = dataParallel(n, WirePrecision.FLOAT32);
        RankResult leader = ranks.get(0);
        double maxRelative = compareLosses(n, "float32", leader, 1e-5);
        assertTrue(maxRelative > 0 || n == 1, "DP=" + n + " reduces in another order than DP=1; an exact match would"
                + " mean the ranks did not split the batch");
        assertEquals(single.get(0).outcome().finalValLoss(), leader.outcome().finalValLoss(),
                1e-4 * single.get(0).outcome().finalValLoss());
        replicasAreIdentical(ranks);
    }

    /** Asserts rank 0's per-step losses are within {@code tolerance} relative of DP=1's; returns the largest difference. */
    private static double compareLosses(int n, String wire, RankResult leader, double tolerance) {
        double[] expected = single.get(0).losses();
        double[] actual = leader.losses();
        assertEquals(STEPS, actual.length);
        assertTrue(expected[STEPS - 1] < expected[0] - 1.0, "the run learns: " + expected[0] + " -> " + expected[STEPS - 1]);
        double maxRelative = maxRelativeDifference(expected, actual, STEPS);
        System.out.printf("DP=%d (%s gradients) vs DP=1: max relative loss difference %.3g over the first 10 steps,"
                        + " %.3g over %d steps; final val_loss %.7f vs %.7f%n", n, wire,
                maxRelativeDifference(expected, actual, 10), maxRelative, STEPS, leader.outcome().finalValLoss(),
                single.get(0).outcome().finalValLoss());
        assertTrue(maxRelative <= tolerance, "every step within " + tolerance + " relative: " + maxRelative);
        return maxRelative;
    }

    private static void replicasAreIdentical(List<RankResult> ranks) {
        RankResult leader = ranks.get(0);
        for (int r = 1; r < ranks.size(); r++) {
            assertArrayEquals(leader.params(), ranks.get(r).params(), 0f, "rank " + r + " parameters equal rank 0's");
            assertTrue(ranks.get(r).rows().isEmpty(), "only rank 0 emits metrics");
            assertEquals(STEPS, ranks.get(r).outcome().lastStep());
        }
    }

    @Test
    void twoRanksMatchOneRankWithTheSameGlobalBatch() throws Exception {
        matchesSingleRank(2);
    }

    @Test
    void fourRanksMatchOneRankWithTheSameGlobalBatch() throws Exception {
        matchesSingleRank(4);
    }

    @Test
    void twoRanksAreBitIdenticalToThemselvesRerun() throws Exception {
        float[] first = dataParallel(2, WirePrecision.FLOAT32).get(0).params();
        float[] again = dataParallel(2, WirePrecision.FLOAT32).get(0).params();
        assertArrayEquals(first, again, 0f);
    }

    @Test
    void bfloat16GradientsStayCloseToOneRankAndKeepTheReplicasIdentical() throws Exception {
        List<RankResult> ranks = dataParallel(2, WirePrecision.BFLOAT16);
        compareLosses(2, "bfloat16", ranks.get(0), 1e-2);
        replicasAreIdentical(ranks);
    }
}
