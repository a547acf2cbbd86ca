package io.spindle.optim.routing;

import io.spindle.optim.FlatParams;
import io.spindle.optim.Optimizer;
import io.spindle.optim.ParamSlot;
import io.spindle.optim.ResumeCheck;
import io.spindle.optim.adamw.AdamW;
import io.spindle.optim.muon.Muon;
import io.spindle.optim.schedule.WarmupCosine;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OptimizerRouterTest {

    /** A transformer's kinds of parameters, including a 3-D "matrix" that Muon must not see. */
    private static FlatParams model() {
        return new FlatParams(
                "tok", "embedding", new long[] {10, 4},
                "blocks.0.wq", "matrix", new long[] {4, 4},
                "blocks.0.ln", "norm", new long[] {4},
                "blocks.0.w1", "matrix", new long[] {8, 4},
                "blocks.0.b1", "bias", new long[] {8},
                "conv", "matrix", new long[] {2, 2, 2},
                "scale", "vector", new long[] {4},
                "head", "head", new long[] {10, 4});
    }

    @Test
    void hiddenMatricesGoToTheMatrixOptimizerAndTheRestToTheOther() {
        Recording matrices = new Recording();
        Recording rest = new Recording();
        OptimizerRouter router = OptimizerRouter.matricesAndRest(matrices, 2.0, rest, 0.5);
        router.step(model().slots, 0.1);
        assertEquals(List.of("blocks.0.wq", "blocks.0.w1"), matrices.names);
        assertEquals(List.of("tok", "blocks.0.ln", "blocks.0.b1", "conv", "scale", "head"), rest.names);
        assertEquals(List.of(0.2), matrices.lrs);
        assertEquals(List.of(0.05), rest.lrs);
        assertEquals(1, router.stepCount());
    }

    /** The matrices' own warmup-cosine: peak 0.04, warmup 2 of 6 steps, floor 0.004. */
    private static GroupLearningRate ownMatrixSchedule() {
        return GroupLearningRate.own(new WarmupCosine(0.04, 2, 6, 0.004));
    }

    /** The same schedule by hand: linear to the peak, then half a cosine over steps 2..6. */
    private static double byHand(long step) {
        if (step <= 2) return 0.04 * step / 2;
        if (step >= 6) return 0.004;
        return 0.004 + 0.5 * (0.04 - 0.004) * (1 + Math.cos(Math.PI * (step - 2) / 4.0));
    }

    @Test
    void aGroupWithItsOwnScheduleReadsItAtEveryStepWhileTheOtherScalesTheRunsRate() {
        Recording matrices = new Recording();
        Recording rest = new Recording();
        OptimizerRouter router = OptimizerRouter.matricesAndRest(matrices, ownMatrixSchedule(), rest,
                GroupLearningRate.scaled(0.5));
        double[] runLrs = {1e-3, 2e-3, 3e-3, 2e-3, 1e-3, 5e-4, 5e-4};
        for (double lr : runLrs) router.step(model().slots, lr);
        assertEquals(runLrs.length, matrices.lrs.size());
        for (int t = 0; t < runLrs.length; t++) {
            assertEquals(byHand(t + 1), matrices.lrs.get(t), 1e-15, "matrix group at step " + (t + 1));
            assertEquals(runLrs[t] * 0.5, rest.lrs.get(t), 0, "scaled group at step " + (t + 1));
        }
        assertEquals(0.022, matrices.lrs.get(3), 1e-15, "halfway through the decay the cosine term is 1/2");
    }

    /** A skipped non-finite step advances the run's step but not the optimizer's t: the own schedule follows the run. */
    @Test
    void theOwnScheduleIsReadAtTheRunsStepNotTheOptimizersCount() {
        Recording matrices = new Recording();
        OptimizerRouter router = OptimizerRouter.matricesAndRest(matrices, ownMatrixSchedule(), new Recording(),
                GroupLearningRate.scaled(1.0));
        router.step(model().slots, 1e-3, 1);
        router.step(model().slots, 1e-3, 3);
        router.step(model().slots, 1e-3, 4);
        assertEquals(List.of(byHand(1), byHand(3), byHand(4)), matrices.lrs);
        assertEquals(3, router.stepCount());
    }

    @Test
    void resumeWithAnOwnScheduleIsBitExact() {
        ResumeCheck.assertBitExactResume(() -> OptimizerRouter.matricesAndRest(new Muon(0.95, 0.01),
                ownMatrixSchedule(), new AdamW(0.9, 0.95, 1e-8, 0.1), GroupLearningRate.scaled(0.1)),
                OptimizerRouterTest::model, 3, 2, 0.02);
    }

    @Test
    void muonNeverSeesAVectorThroughTheRouter() {
        FlatParams p = model();
        p.randomGrads(new SplittableRandom(3), 1.0);
        OptimizerRouter router = OptimizerRouter.matricesAndRest(new Muon(0.95, 0.01), 1.0,
                new AdamW(0.9, 0.95, 1e-8, 0.1), 0.1);
        router.step(p.slots, 0.02);
        Map<String, INDArray> state = router.state();
        assertTrue(state.containsKey("step"));
        assertTrue(state.containsKey("matrices/step"));
        assertTrue(state.containsKey("matrices/blocks.0.wq/momentum"));
        assertTrue(state.containsKey("rest/step"));
        assertTrue(state.containsKey("rest/blocks.0.ln/m"));
        assertTrue(state.containsKey("rest/conv/v"));
        assertTrue(p.guardsIntact(), "an update wrote outside its parameter view");
    }

    @Test
    void resumeIsBitExact() {
        ResumeCheck.assertBitExactResume(() -> OptimizerRouter.matricesAndRest(new Muon(0.95, 0.01), 1.0,
                new AdamW(0.9, 0.95, 1e-8, 0.1), 0.1), OptimizerRouterTest::model, 3, 2, 0.02);
    }

    @Test
    void loadRejectsTensorOfNoGroupAndMissingGroupState() {
        OptimizerRouter router = OptimizerRouter.matricesAndRest(new Muon(0.95, 0.01), 1.0,
                new AdamW(0.9, 0.95, 1e-8, 0.1), 0.1);
        router.step(model().slots, 0.02);
        Map<String, INDArray> state = new LinkedHashMap<>(router.state());
        state.put("other/x/m", Nd4j.zeros(DataType.FLOAT, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> fresh().loadState(state));
        assertTrue(e.getMessage().contains("other/x/m"), e.getMessage());

        Map<String, INDArray> noRest = new LinkedHashMap<>(router.state());
        noRest.keySet().removeIf(k -> k.startsWith("rest/"));
        e = assertThrows(IllegalArgumentException.class, () -> fresh().loadState(noRest));
        assertTrue(e.getMessage().contains("rest"), e.getMessage());
    }

    @Test
    void parameterOfNoGroupIsNamed() {
        OptimizerRouter router = new OptimizerRouter(List.of(ParameterGroup.hiddenMatrices("muon", new Recording(), 1.0)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> router.step(model().slots, 0.1));
        assertTrue(e.getMessage().contains("tok"), e.getMessage());
    }

    @Test
    void rejectsDuplicateGroupNamesAndBadMultipliers() {
        assertThrows(IllegalArgumentException.class, () -> new OptimizerRouter(List.of(
                ParameterGroup.hiddenMatrices("g", new Recording(), 1.0), ParameterGroup.everythingElse("g", new Recording(), 1.0))));
        assertThrows(IllegalArgumentException.class, () -> ParameterGroup.everythingElse("g", new Recording(), -1.0));
        assertThrows(IllegalArgumentException.class, () -> ParameterGroup.everythingElse("a/b", new Recording(), 1.0));
        assertThrows(IllegalArgumentException.class,
                () -> ParameterGroup.everythingElse("g", new Recording(), (GroupLearningRate) null));
    }

    private static OptimizerRouter fresh() {
        return OptimizerRouter.matricesAndRest(new Muon(0.95, 0.01), 1.0, new AdamW(0.9, 0.95, 1e-8, 0.1), 0.1);
    }

    /** Records what it is asked to step. */
    private static final class Recording implements Optimizer {
        final List<String> names = new ArrayList<>();
        final List<Double> lrs = new ArrayList<>();

        @Override
        public void step(List<ParamSlot> params, double lr) {
            params.forEach(p -> names.add(p.name()));
            lrs.add(lr);
        }

        @Override
        public long stepCount() {
            return lrs.size();
        }

        @Override
        public Map<String, INDArray> state() {
            return Map.of("step", Nd4j.scalar(DataType.INT64, (long) lrs.size()));
        }

        @Override
        public Map<String, INDArray> stateValues() {
            return state();
        }

        @Override
        public long stateBytes() {
            return 0;
        }

        @Override
        public void loadState(Map<String, INDArray> state) {
            throw new UnsupportedOperationException("the recording optimizer is not restored in these tests");
        }
    }
}
