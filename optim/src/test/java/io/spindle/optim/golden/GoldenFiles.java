package io.spindle.optim.golden;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** Reads the golden-vector files of {@code shared/golden} for tests and compares results with their tolerance. */
final class GoldenFiles {
    private static final ObjectMapper JSON = new ObjectMapper();

    private GoldenFiles() {}

    /** A tensor as the file stores it, kept in double so comparisons see the reference's full precision. */
    record Tensor(long[] shape, double[] data) {
        INDArray toFloat32() {
            return Nd4j.createFromArray(data).castTo(DataType.FLOAT).reshape('c', shape);
        }
    }

    /** An optimizer file: the case to run, what it should produce, and the tolerance. */
    record OptimizerFile(OptimizerCase optimizerCase, List<Map<String, Tensor>> paramsAfterEachStep,
                         Map<String, Map<String, Tensor>> stateAfterLastStep, double rtol, double atol) {}

    /**
     * The {@code shared/} directory, found by walking up from the working directory: it sits next to
     * the clone both here ({@code /work/main} and {@code /work/shared}) and in CI.
     */
    static Path sharedDirectory() {
        Path start = Path.of("").toAbsolutePath();
        for (Path dir = start; dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve("shared").resolve("golden"))) {
                return dir.resolve("shared");
            }
        }
        return fail("no shared/golden directory in " + start + " or any directory above it");
    }

    static OptimizerFile readOptimizer(String name) throws IOException {
        Path file = sharedDirectory().resolve("golden/public/optim").resolve(name);
        JsonNode root = JSON.readTree(file.toFile());
        assertEquals("optimizer", root.get("kind").asText(), file + " kind");
        Map<String, Object> hyper = new LinkedHashMap<>();
        root.get("hyper").properties().forEach(e -> hyper.put(e.getKey(), hyperValue(e.getValue())));
        Map<String, INDArray> params = new LinkedHashMap<>();
        tensors(root.at("/inputs/params")).forEach((k, t) -> params.put(k, t.toFloat32()));
        List<Map<String, INDArray>> grads = new ArrayList<>();
        for (JsonNode step : root.at("/inputs/grads")) {
            Map<String, INDArray> g = new LinkedHashMap<>();
            tensors(step).forEach((k, t) -> g.put(k, t.toFloat32()));
            grads.add(g);
        }
        OptimizerCase c = new OptimizerCase(root.get("algorithm").asText(), root.get("variant").asText(),
                hyper, params, grads);
        List<Map<String, Tensor>> after = new ArrayList<>();
        for (JsonNode step : root.at("/expected/params_after_each_step")) after.add(tensors(step));
        Map<String, Map<String, Tensor>> state = new LinkedHashMap<>();
        root.at("/expected/state_after_last_step").properties()
                .forEach(e -> state.put(e.getKey(), tensors(e.getValue())));
        JsonNode tol = root.get("tolerance");
        return new OptimizerFile(c, after, state, tol.get("rtol").asDouble(), tol.get("atol").asDouble());
    }

    /** A function file's cases: per case, its tensors (input and expected) and its numeric settings. */
    record FunctionFile(String algorithm, List<Map<String, Tensor>> tensors, List<Map<String, Double>> settings,
                        double rtol, double atol) {}

    static FunctionFile readFunction(String name) throws IOException {
        Path file = sharedDirectory().resolve("golden/public/optim").resolve(name);
        JsonNode root = JSON.readTree(file.toFile());
        assertEquals("function", root.get("kind").asText(), file + " kind");
        List<Map<String, Tensor>> tensors = new ArrayList<>();
        List<Map<String, Double>> settings = new ArrayList<>();
        for (JsonNode c : root.get("cases")) {
            Map<String, Tensor> t = new LinkedHashMap<>();
            Map<String, Double> s = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> e : c.properties()) {
                if (e.getValue().isNumber()) s.put(e.getKey(), e.getValue().asDouble());
                else if (e.getValue().has("shape")) t.put(e.getKey(), tensor(e.getValue()));
                else if (e.getValue().isArray()) flattenList(e.getKey(), e.getValue(), t);
            }
            tensors.add(t);
            settings.add(s);
        }
        JsonNode tol = root.get("tolerance");
        return new FunctionFile(root.get("algorithm").asText(), tensors, settings,
                tol.get("rtol").asDouble(), tol.get("atol").asDouble());
    }

    /** A list of objects as {@code name[i].field}: numbers as 0-d tensors, lists of numbers as 1-D ones. */
    private static void flattenList(String name, JsonNode list, Map<String, Tensor> out) {
        for (int i = 0; i < list.size(); i++) {
            for (Map.Entry<String, JsonNode> f : list.get(i).properties()) {
                String key = name + "[" + i + "]." + f.getKey();
                JsonNode v = f.getValue();
                if (v.isNumber()) {
                    out.put(key, new Tensor(new long[0], new double[] {v.asDouble()}));
                } else if (v.isArray()) {
                    double[] data = new double[v.size()];
                    for (int j = 0; j < data.length; j++) data[j] = v.get(j).asDouble();
                    out.put(key, new Tensor(new long[] {data.length}, data));
                }
            }
        }
    }

    /** Hyperparameters as the spark-jobs reader passes them: numbers, booleans, lists of numbers. */
    private static Object hyperValue(JsonNode v) {
        if (v.isBoolean()) return v.booleanValue();
        if (v.isArray()) {
            List<Object> out = new ArrayList<>();
            v.forEach(item -> out.add(hyperValue(item)));
            return out;
        }
        return v.isNumber() ? (Object) v.doubleValue() : v.asText();
    }

    /** Fails unless every element satisfies {@code |got - want| <= atol + rtol |want|}, naming the worst one. */
    static void assertClose(String what, Tensor want, INDArray got, double rtol, double atol) {
        assertEquals(Arrays.toString(want.shape()), Arrays.toString(got.shape()), what + " shape");
        double[] g = got.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        int worst = -1;
        double worstExcess = 0;
        for (int i = 0; i < want.data().length; i++) {
            double excess = Math.abs(g[i] - want.data()[i]) - (atol + rtol * Math.abs(want.data()[i]));
            if (!(excess <= worstExcess)) {
                worst = i;
                worstExcess = excess;
            }
        }
        if (worst >= 0) {
            fail(what + ": max abs err " + Math.abs(g[worst] - want.data()[worst]) + " at flat index " + worst
                    + " (got " + g[worst] + ", want " + want.data()[worst] + ")");
        }
    }

    private static Map<String, Tensor> tensors(JsonNode node) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            out.put(e.getKey(), tensor(e.getValue()));
        }
        return out;
    }

    private static Tensor tensor(JsonNode node) {
        JsonNode shapeNode = node.get("shape");
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) shape[i] = shapeNode.get(i).asLong();
        JsonNode dataNode = node.get("data");
        double[] data = new double[dataNode.size()];
        for (int i = 0; i < data.length; i++) data[i] = dataNode.get(i).asDouble();
        return new Tensor(shape, data);
    }
}
