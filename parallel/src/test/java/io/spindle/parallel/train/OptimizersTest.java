package io.spindle.parallel.train;

import io.spindle.layers.model.ModelConfig;
import io.spindle.layers.model.TransformerLM;
import io.spindle.optim.Optimizer;
import io.spindle.optim.ParamSlot;
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
