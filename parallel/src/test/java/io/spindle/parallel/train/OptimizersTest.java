package io.spindle.parallel.train;

import io.spindle.layers.model.ModelConfig;
import io.spindle.layers.model.TransformerLM;
import io.spindle.optim.Optimizer;
import io.spindle.optim.ParamSlot;
import io.spindle.optim.adamw.AdamW;
import io.spindle.optim.muon.Muon;
import io.spindle.optim.routing.OptimizerRouter;
import io.spindle.optim.state.StateFormat;
import io.spindle.optim.offload.OffloadConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OptimizersTest {
    private static final ModelConfig MODEL = new ModelConfig("test", 258, 32, 1, 2, 64, 16, 10000.0, 1e-6, 0.02);
    private static final TrainingConfig TRAIN = new TrainingConfig(10, 2, 16, 1e-2, 1e-3, 1, 0.1, 0.9, 0.95, 1e-8, 1.0,
            5, 1, 5, 2, 1, 1, NonFinitePolicy.STOP);

    private static OptimizerConfig named(String name) {
        return new OptimizerConfig(name, "paper", 0.95, 5, 0.95, 1.0, 1.0, 0.0);
    }

    private static OptimizerConfig coat(String name) {
        return new OptimizerConfig(name, "paper", 0.95, 5, 0.95, 1.0, 1.0, 0.0, StateFormat.coat(128));
    }

    /** One training step of a small LM with the named optimizer; returns the loss change. */
    private static double lossChangeAfterSteps(String name, int steps) {
        return lossChangeAfterSteps(named(name), steps);
    }

    private static double lossChangeAfterSteps(OptimizerConfig config, int steps) {
        TransformerLM model = new TransformerLM(MODEL, 5);
        Optimizer optimizer = Optimizers.create(config, TRAIN);
        List<ParamSlot> slots = ParameterSlots.of(model.parameters());
        int[][] batch = batch();
        int[] in = batch[0];
        int[] out = batch[1];
        float first = Float.NaN;
        float last = Float.NaN;
        for (int s = 0; s < steps; s++) {
            model.parameters().zeroGrads();
            last = model.forwardLoss(in, out, 2, 16);
            if (s == 0) first = last;
            model.backward();
            optimizer.step(slots, 3e-3);
        }
        return last - first;
    }

    /** Two sequences of 16 tokens from a 5-letter alphabet, each target the next letter: learnable in a few steps. */
    private static int[][] batch() {
        int[] in = new int[2 * 16];
        int[] out = new int[2 * 16];
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < in.length; i++) {
            in[i] = 97 + r.nextInt(5);
            out[i] = 97 + (in[i] - 97 + 1) % 5;
        }
        return new int[][] {in, out};
    }

    @Test
    void everyConfiguredOptimizerTrainsTheModel() {
        for (String name : OptimizerConfig.NAMES) {
            double change = lossChangeAfterSteps(name, 6);
            assertTrue(change < -0.05, name + " should lower the loss, changed by " + change);
        }
    }

    /** optim.state = coat: every optimizer trains with FP8 state, and the state is about a quarter the size. */
    @Test
    void everyOptimizerTrainsWithCoatStateInAQuarterOfTheMemory() {
        for (String name : OptimizerConfig.NAMES) {
            double change = lossChangeAfterSteps(coat(name), 6);
            assertTrue(change < -0.05, name + " with COAT state should lower the loss, changed by " + change);
            TransformerLM model = new TransformerLM(MODEL, 5);
            Optimizer dense = Optimizers.create(named(name), TRAIN);
            Optimizer compressed = Optimizers.create(coat(name), TRAIN);
            dense.step(ParameterSlots.of(model.parameters()), 1e-3);
            compressed.step(ParameterSlots.of(model.parameters()), 1e-3);
            double ratio = (double) compressed.stateBytes() / dense.stateBytes();
            assertTrue(ratio > 0.25 && ratio < 0.3, name + ": COAT state is " + ratio + " of dense");
        }
    }

    /**
     * optim.offload: every optimizer, with its state and master weights in SSD files streamed through a
     * window smaller than the state, trains the LM to the same parameters and state, bit for bit.
     */
    @Test
    void everyOptimizerOffloadedToDiskMatchesInMemoryBitForBit(@TempDir Path dir) {
        for (String name : OptimizerConfig.NAMES) {
            OptimizerConfig o = named(name);
            OptimizerConfig offloaded = new OptimizerConfig(name, "paper", 0.95, 5, 0.95, 1.0, 1.0, 0.0,
                    StateFormat.DENSE, OffloadConfig.of(340L << 10, dir.toString()));
            TransformerLM a = new TransformerLM(MODEL, 5);
            TransformerLM b = new TransformerLM(MODEL, 5);
            try (Optimizer inMemory = Optimizers.create(o, TRAIN); Optimizer onDisk = Optimizers.create(offloaded, TRAIN)) {
                trainSteps(a, inMemory, 3);
                trainSteps(b, onDisk, 3);
                assertTrue(b.parameters().parameters().size() > 3);
                for (int i = 0; i < a.parameters().parameters().size(); i++) {
                    INDArray pa = a.parameters().parameters().get(i).value();
                    INDArray pb = b.parameters().parameters().get(i).value();
                    assertArrayEquals(pa.dup().data().asFloat(), pb.dup().data().asFloat(), name + " " + pa.shapeInfoToString());
                }
                java.util.Map<String, INDArray> sa = inMemory.state();
                java.util.Map<String, INDArray> sb = onDisk.state();
                assertEquals(sa.keySet(), sb.keySet());
                for (String k : sa.keySet()) {
                    assertEquals(sa.get(k), sb.get(k), name + " state " + k);
                }
            }
        }
    }

    private static void trainSteps(TransformerLM model, Optimizer optimizer, int steps) {
        List<ParamSlot> slots = ParameterSlots.of(model.parameters());
        int[][] batch = batch();
        int[] in = batch[0];
        int[] out = batch[1];
        for (int s = 0; s < steps; s++) {
            optimizer.prefetch();
            model.parameters().zeroGrads();
            model.forwardLoss(in, out, 2, 16);
            model.backward();
            optimizer.step(slots, 3e-3);
        }
    }

    /**
     * With optim.matrixWarmupSteps and optim.matrixFinalLrFraction at their defaults (-1), a Muon run
     * steps bit for bit as the composition before those keys existed: Muon on the hidden matrices at
     * lr x matrixLrScale, AdamW on the rest at lr, each built and stepped here by hand.
     */
    @Test
    void withTheDefaultMatrixScheduleKeysAStepIsBitIdenticalToScalingTheRunsRate() {
        OptimizerConfig o = new OptimizerConfig("muon", "paper", 0.95, 5, 0.95, 1.0, 40.0, 0.01);
        TransformerLM a = new TransformerLM(MODEL, 5);
        TransformerLM b = new TransformerLM(MODEL, 5);
        List<ParamSlot> slotsA = ParameterSlots.of(a.parameters());
        List<ParamSlot> slotsB = ParameterSlots.of(b.parameters());
        java.util.function.Predicate<ParamSlot> hidden = p -> p.role().equals("matrix") && p.shape().length == 2;
        List<ParamSlot> matricesB = slotsB.stream().filter(hidden).toList();
        List<ParamSlot> restB = slotsB.stream().filter(hidden.negate()).toList();
        assertTrue(!matricesB.isEmpty() && !restB.isEmpty());
        Muon muon = new Muon(0.95, true, 5, 0.01, StateFormat.DENSE);
        AdamW adamw = new AdamW(TRAIN.beta1(), TRAIN.beta2(), TRAIN.eps(), TRAIN.weightDecay(),
                AdamW.DEFAULT_DECAYED_ROLES, StateFormat.DENSE);
        int[][] batch = batch();
        double[] lrs = {1e-3, 3e-3, 2.2e-3};
        try (Optimizer routed = Optimizers.create(o, TRAIN)) {
            for (int s = 0; s < lrs.length; s++) {
                for (TransformerLM m : List.of(a, b)) {
                    m.parameters().zeroGrads();
                    m.forwardLoss(batch[0], batch[1], 2, 16);
                    m.backward();
                }
                routed.step(slotsA, lrs[s], s + 1);
                muon.step(matricesB, lrs[s] * 40.0);
                adamw.step(restB, lrs[s]);
            }
        }
        TransformerLM initial = new TransformerLM(MODEL, 5);
        int moved = 0;
        for (int i = 0; i < a.parameters().parameters().size(); i++) {
            float[] pa = a.parameters().parameters().get(i).value().dup().data().asFloat();
            float[] pb = b.parameters().parameters().get(i).value().dup().data().asFloat();
            assertArrayEquals(pb, pa, "parameter " + i);
            if (!java.util.Arrays.equals(pa, initial.parameters().parameters().get(i).value().dup().data().asFloat())) moved++;
        }
        assertEquals(a.parameters().parameters().size(), moved, "every parameter took the steps");
    }

    /** optim.matrixWarmupSteps / matrixFinalLrFraction reach the router's matrix group; the AdamW group keeps train.lr. */
    @Test
    void anOwnMatrixScheduleReachesTheMatrixGroupOnly() {
        OptimizerConfig o = new OptimizerConfig("normuon", "paper", 0.95, 5, 0.95, 1.0, 40.0, 0.0, 2, 0.1,
                StateFormat.DENSE, OffloadConfig.DISABLED);
        OptimizerRouter router = (OptimizerRouter) Optimizers.create(o, TRAIN);
        // peak 1e-2 x 40 = 0.4 after 2 warmup steps, floor 0.04 at train.steps = 10
        assertEquals(0.2, router.groups().get(0).learningRate().at(1, 1e-2), 1e-15);
        assertEquals(0.04 + 0.36 * (1 + Math.cos(Math.PI * 3 / 8)) / 2, router.groups().get(0).learningRate().at(5, 1e-2),
                1e-15);
        assertEquals(7e-3, router.groups().get(1).learningRate().at(5, 7e-3), 0);
    }

    @Test
    void theMuonFamilyTakesOnlyHiddenMatrices() {
        OptimizerRouter router = (OptimizerRouter) Optimizers.create(named("muon"), TRAIN);
        TransformerLM model = new TransformerLM(MODEL, 5);
        for (ParamSlot p : ParameterSlots.of(model.parameters())) {
            boolean hidden = p.role().equals("matrix");
            assertEquals(hidden ? "matrices" : "rest", router.groupOf(p).name(), p.name());
        }
    }

    @Test
    void unknownOptimizerIsRefusedWithTheChoices() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> named("sgd"));
        assertTrue(e.getMessage().contains("optim.name") && e.getMessage().contains("normuon"), e.getMessage());
    }

    @Test
    void adamwStateDiffersFromMuonsSoAResumeWithAnotherOptimizerIsCaught() {
        TransformerLM model = new TransformerLM(MODEL, 5);
        Optimizer adamw = Optimizers.create(named("adamw"), TRAIN);
        adamw.step(ParameterSlots.of(model.parameters()), 1e-3);
        Optimizer muon = Optimizers.create(named("muon"), TRAIN);
        java.util.Map<String, INDArray> state = adamw.state();
        assertThrows(RuntimeException.class, () -> {
            muon.loadState(state);
            muon.step(ParameterSlots.of(model.parameters()), 1e-3);
        });
    }
}
