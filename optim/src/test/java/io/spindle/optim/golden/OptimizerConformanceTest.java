package io.spindle.optim.golden;

import io.spindle.optim.golden.GoldenFiles.FunctionFile;
import io.spindle.optim.golden.GoldenFiles.OptimizerFile;
import io.spindle.optim.golden.GoldenFiles.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OptimizerConformanceTest {

    /** Every optimizer file of the public set; auon/auon-package and the hybrids differ only in variant. */
    @ParameterizedTest
    @ValueSource(strings = {"adamw.json", "lamb.json", "muon.json", "normuon.json", "auon.json", "auon-package.json",
            "hybrid-auon.json", "hybrid-auon-package.json", "coat-adamw.json"})
    void optimizerMatchesGoldenVectors(String fileName) throws IOException {
        OptimizerFile file = GoldenFiles.readOptimizer(fileName);
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
    void newtonSchulzMatchesGoldenVectors() throws IOException {
        FunctionFile file = GoldenFiles.readFunction("newton-schulz.json");
        for (int k = 0; k < file.tensors().size(); k++) {
            Map<String, Tensor> t = file.tensors().get(k);
            Map<String, Double> settings = file.settings().get(k);
            Map<String, INDArray> got = OptimizerConformance.evaluateFunction(new FunctionCase(file.algorithm(), "",
                    settings, Map.of("input", t.get("input").toFloat32())));
            assertEquals(Set.of("output"), got.keySet());
            GoldenFiles.assertClose("newton-schulz case " + k, t.get("output"), got.get("output"), file.rtol(), file.atol());
        }
    }

    /** FP8 rounding and COAT quantization: every expected field of every case, under the file's tolerance. */
    @ParameterizedTest
    @ValueSource(strings = {"fp8-e4m3.json", "fp8-e5m2.json", "coat-quantize.json"})
    void fp8AndCoatFunctionsMatchGoldenVectors(String fileName) throws IOException {
        FunctionFile file = GoldenFiles.readFunction(fileName);
        for (int k = 0; k < file.tensors().size(); k++) {
            Map<String, Tensor> t = file.tensors().get(k);
            Map<String, INDArray> got = OptimizerConformance.evaluateFunction(new FunctionCase(file.algorithm(), "",
                    file.settings().get(k), Map.of("input", t.get("input").toFloat32())));
            Set<String> expected = new java.util.TreeSet<>(t.keySet());
            expected.remove("input");
            assertEquals(expected, new java.util.TreeSet<>(got.keySet()), fileName + " case " + k + " fields");
            for (String field : expected) {
                GoldenFiles.assertClose(fileName + " case " + k + " " + field, t.get(field), got.get(field),
                        file.rtol(), file.atol());
            }
        }
    }

    @Test
    void supportsImplementedAlgorithmsOnly() {
        for (String a : List.of("adamw", "lamb", "muon", "normuon", "auon", "hybrid", "newton-schulz", "coat",
                "fp8-e4m3", "fp8-e5m2", "coat-quantize")) {
            assertTrue(OptimizerConformance.supports(a), a);
        }
        assertFalse(OptimizerConformance.supports("no-such-optimizer"));
    }

    /** The files' algorithm "auon" names two rules; the variant decides, and they step differently. */
    @Test
    void auonFormFollowsTheVariant() {
        Map<String, Object> hyper = Map.of("lr", 0.1, "momentum", 0.9, "weight_decay", 0.0, "gamma", 1.5);
        INDArray paper = oneMatrixStep("auon", "paper form: ...", hyper);
        INDArray packaged = oneMatrixStep("auon", "package form: ...", hyper);
        INDArray spelled = oneMatrixStep("auon-package", "", hyper);
        assertEquals(packaged, spelled);
        assertFalse(paper.equalsWithEps(packaged, 1e-4), "paper and package forms gave the same step");
    }

    @Test
    void unimplementedFunctionIsUnsupportedCase() {
        FunctionCase c = new FunctionCase("fp4-e2m1", "", Map.of(), Map.of("input", Nd4j.zeros(DataType.FLOAT, 3)));
        assertThrows(UnsupportedCaseException.class, () -> OptimizerConformance.evaluateFunction(c));
    }

    @Test
    void foreignNewtonSchulzCoefficientsAreUnsupported() {
        Map<String, Object> hyper = Map.of("lr", 0.1, "momentum", 0.9, "weight_decay", 0.0,
                "ns_coefficients", List.of(3.0, -3.0, 1.0));
        assertThrows(UnsupportedCaseException.class, () -> oneMatrixStep("muon", "", hyper));
    }

    private static INDArray oneMatrixStep(String algorithm, String variant, Map<String, Object> hyper) {
        INDArray w = Nd4j.createFromArray(new float[][] {{1, 2, 3}, {4, 5, 6}});
        INDArray g = Nd4j.createFromArray(new float[][] {{0.5f, -1, 2}, {0.1f, 0.3f, -0.2f}});
        OptimizerCase c = new OptimizerCase(algorithm, variant, hyper, Map.of("w", w), List.of(Map.of("w", g)));
        return OptimizerConformance.evaluate(c).paramsAfterEachStep().get(0).get("w");
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
