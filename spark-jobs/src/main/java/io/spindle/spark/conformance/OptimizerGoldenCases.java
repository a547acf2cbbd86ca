package io.spindle.spark.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import io.spindle.optim.golden.FunctionCase;
import io.spindle.optim.golden.OptimizerCase;
import io.spindle.optim.golden.OptimizerConformance;
import io.spindle.optim.golden.OptimizerResult;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Optimizer and function golden cases, evaluated by {@code optim}'s {@link OptimizerConformance}.
 * An optimizer case: parses the case's {@code hyper} and {@code inputs}, runs the steps, and names
 * the results as {@link GoldenCase#expected()} does ({@code params_after_each_step[t].<param>},
 * {@code state_after_last_step.<param>.<slot>}); the optimizer is chosen from {@code algorithm} and
 * {@code variant} together, since {@code auon} and {@code hybrid} each name two forms. A function
 * case: its {@code input} (or {@code inputs}) and top-level numbers (settings such as
 * {@code steps}) go in, its results come back under the expected field names (e.g. {@code output}).
 * Registered for {@link java.util.ServiceLoader}.
 */
public final class OptimizerGoldenCases implements OptimizerCases {
    @Override
    public boolean supports(String algorithm) {
        return OptimizerConformance.supports(algorithm);
    }

    @Override
    public Map<String, INDArray> evaluate(GoldenCase c) {
        return c.kind().equals("function") ? evaluateFunction(c) : evaluateOptimizer(c);
    }

    private static Map<String, INDArray> evaluateFunction(GoldenCase c) {
        JsonNode body = c.body();
        String where = c.file().toString();
        Map<String, Double> settings = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = body.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getValue().isNumber()) settings.put(e.getKey(), e.getValue().asDouble());
        }
        Map<String, INDArray> inputs = body.has("inputs")
                ? arrays(body.get("inputs"), where + " inputs")
                : Map.of("input", GoldenFile.tensor(body.get("input"), where + " input").toINDArray());
        return OptimizerConformance.evaluateFunction(new FunctionCase(c.subject(), "", settings, inputs));
    }

    private static Map<String, INDArray> evaluateOptimizer(GoldenCase c) {
        JsonNode body = c.body();
        String where = c.file().toString();
        Map<String, Object> hyper = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = body.path("hyper").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            hyper.put(e.getKey(), hyperValue(e.getValue()));
        }
        Map<String, INDArray> params = arrays(body.path("inputs").path("params"), where + " inputs.params");
        List<Map<String, INDArray>> grads = new ArrayList<>();
        JsonNode steps = body.path("inputs").path("grads");
        for (int t = 0; t < steps.size(); t++) {
            grads.add(arrays(steps.get(t), where + " inputs.grads[" + t + "]"));
        }
        OptimizerResult result = OptimizerConformance.evaluate(new OptimizerCase(c.subject(),
                body.path("variant").asText(""), hyper, params, grads));
        Map<String, INDArray> out = new LinkedHashMap<>();
        for (int t = 0; t < result.paramsAfterEachStep().size(); t++) {
            for (Map.Entry<String, INDArray> e : result.paramsAfterEachStep().get(t).entrySet()) {
                out.put("params_after_each_step[" + t + "]." + e.getKey(), e.getValue());
            }
        }
        for (Map.Entry<String, Map<String, INDArray>> p : result.stateAfterLastStep().entrySet()) {
            for (Map.Entry<String, INDArray> slot : p.getValue().entrySet()) {
                out.put("state_after_last_step." + p.getKey() + "." + slot.getKey(), slot.getValue());
            }
        }
        return out;
    }

    /** Numbers as Double, booleans as Boolean, lists of numbers as List of Double, anything else as text. */
    private static Object hyperValue(JsonNode v) {
        if (v.isNumber()) return v.asDouble();
        if (v.isBoolean()) return v.asBoolean();
        if (v.isArray()) {
            List<Object> out = new ArrayList<>(v.size());
            v.forEach(item -> out.add(hyperValue(item)));
            return out;
        }
        return v.asText();
    }

    private static Map<String, INDArray> arrays(JsonNode node, String where) {
        Map<String, INDArray> out = new LinkedHashMap<>();
        for (Map.Entry<String, GoldenTensor> e : GoldenFile.tensors(node, where).entrySet()) {
            out.put(e.getKey(), e.getValue().toINDArray());
        }
        return out;
    }
}
