package io.spindle.optim.golden;

import io.spindle.optim.golden.GoldenFiles.OptimizerFile;
import io.spindle.optim.golden.GoldenFiles.Tensor;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OptimizerConformanceTest {

    @Test
    void adamwMatchesGoldenVectors() throws IOException {
        OptimizerFile file = GoldenFiles.readOptimizer("adamw.json");
        OptimizerResult result = OptimizerConformance.evaluate(file.optimizerCase());

        assertEquals(file.paramsAfterEachStep().size(), result.paramsAfterEachStep().size(), "steps");
        for (int t = 0; t < file.paramsAfterEachStep().size(); t++) {
            Map<String, Tensor> want = file.paramsAfterEachStep().get(t);
            Map<String, INDArray> got = result.paramsAfterEachStep().get(t);
            assertEquals(want.keySet(), got.keySet(), "parameters after step " + (t + 1));
            for (String name : want.keySet()) {
                GoldenFiles.assertClose(name + " after step " + (t + 1), want.get(name), got.get(name),
                        file.rtol(), file.atol());
            }
        }
        assertEquals(file.stateAfterLastStep().keySet(), result.stateAfterLastStep().keySet(), "state parameters");
        file.stateAfterLastStep().forEach((param, slots) -> {
            assertEquals(slots.keySet(), result.stateAfterLastStep().get(param).keySet(), "state slots of " + param);
            slots.forEach((slot, want) -> GoldenFiles.assertClose(param + "/" + slot, want,
                    result.stateAfterLastStep().get(param).get(slot), file.rtol(), file.atol()));
        });
    }

    @Test
    void supportsAdamwOnly() {
        assertTrue(OptimizerConformance.supports("adamw"));
        assertFalse(OptimizerConformance.supports("no-such-optimizer"));
    }

    @Test
    void unknownAlgorithmIsUnsupportedCase() {
        OptimizerCase c = oneStepCase("no-such-optimizer", Map.of("lr", 0.1));
        UnsupportedCaseException e = assertThrows(UnsupportedCaseException.class, () -> OptimizerConformance.evaluate(c));
        assertTrue(e.getMessage().contains("no-such-optimizer"), e.getMessage());
    }

    @Test
    void missingHyperparameterIsNamed() {
        Map<String, Object> hyper = new HashMap<>(Map.of("lr", 0.1, "beta1", 0.9, "eps", 1e-8, "weight_decay", 0.0));
        OptimizerCase c = oneStepCase("adamw", hyper);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OptimizerConformance.evaluate(c));
        assertTrue(e.getMessage().contains("beta2"), e.getMessage());
    }

    @Test
    void caseRejectsGradientOfWrongShape() {
        Map<String, INDArray> params = Map.of("w", Nd4j.zeros(DataType.FLOAT, 2, 3));
        List<Map<String, INDArray>> grads = List.of(Map.of("w", Nd4j.zeros(DataType.FLOAT, 3, 2)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new OptimizerCase("adamw", "", Map.of(), params, grads));
        assertTrue(e.getMessage().contains("gradient of w"), e.getMessage());
    }

    private static OptimizerCase oneStepCase(String algorithm, Map<String, Object> hyper) {
        INDArray w = Nd4j.createFromArray(1f, 2f, 3f);
        INDArray g = Nd4j.createFromArray(0.5f, -0.5f, 0.25f);
        return new OptimizerCase(algorithm, "test", hyper, Map.of("w", w), List.of(Map.of("w", g)));
    }
}
