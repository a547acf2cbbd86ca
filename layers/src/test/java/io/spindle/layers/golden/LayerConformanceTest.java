package io.spindle.layers.golden;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The baseline layers against the shared golden vectors (the full runner lives in spark-jobs). */
class LayerConformanceTest {

    /** {@code shared/golden/public/layers}, found by walking up from the working directory. */
    static Path goldenLayers() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("shared/golden/public/layers");
            if (Files.isDirectory(candidate)) return candidate;
        }
        throw new IllegalStateException("no shared/golden/public/layers above " + Path.of("").toAbsolutePath());
    }

    private static INDArray tensor(JsonNode node) {
        long[] shape = new long[node.get("shape").size()];
        for (int i = 0; i < shape.length; i++) shape[i] = node.get("shape").get(i).asLong();
        double[] data = new double[node.get("data").size()];
        for (int i = 0; i < data.length; i++) data[i] = node.get("data").get(i).asDouble();
        return Nd4j.create(data, shape, DataType.DOUBLE);
    }

    private static Map<String, INDArray> tensors(JsonNode node) {
        Map<String, INDArray> out = new HashMap<>();
        node.fields().forEachRemaining(e -> out.put(e.getKey(), tensor(e.getValue())));
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"rmsnorm", "attention", "swiglu", "block"})
    void matchesGoldenVectors(String layer) throws IOException {
        check(layer);
    }

    /** Runs golden file {@code layer}.json through {@link LayerConformance} and compares every output and gradient. */
    static void check(String layer) throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        JsonNode root = mapper.readTree(goldenLayers().resolve(layer + ".json").toFile());
        Map<String, Object> config = new HashMap<>();
        // as the conformance runner reads it: numbers, and lists such as chain sizes
        root.get("config").fields().forEachRemaining(e -> config.put(e.getKey(), mapper.convertValue(e.getValue(), Object.class)));
        LayerCase c = new LayerCase(root.get("layer").asText(), root.get("variant").asText(), config,
                tensors(root.get("inputs")), tensors(root.get("params")), tensors(root.get("upstream")));
        double rtol = root.get("tolerance").get("rtol").asDouble();
        double atol = root.get("tolerance").get("atol").asDouble();

        LayerResult result = LayerConformance.evaluate(c);

        Map<String, INDArray> want = new HashMap<>();
        tensors(root.get("expected").get("outputs")).forEach((k, v) -> want.put("outputs." + k, v));
        tensors(root.get("expected").get("grads")).forEach((k, v) -> want.put("grads." + k, v));
        assertTrue(want.size() >= 3, "expected outputs and grads");
        assertEquals(want.size(), result.outputs().size() + result.grads().size(),
                "result has " + result.outputs().keySet() + " " + result.grads().keySet());
        for (Map.Entry<String, INDArray> e : want.entrySet()) {
            String[] path = e.getKey().split("\\.", 2);
            INDArray got = (path[0].equals("outputs") ? result.outputs() : result.grads()).get(path[1]);
            assertNotNull(got, e.getKey() + " missing from the result");
            assertArrayEquals(e.getValue().shape(), got.shape(), e.getKey() + " shape");
            double[] w = e.getValue().data().asDouble();
            double[] g = got.castTo(DataType.DOUBLE).dup('c').data().asDouble();
            for (int i = 0; i < w.length; i++) {
                assertTrue(Math.abs(g[i] - w[i]) <= atol + rtol * Math.abs(w[i]),
                        layer + " " + e.getKey() + "[" + i + "]: got " + g[i] + ", want " + w[i]);
            }
        }
    }

    @Test
    void unknownLayerIsReportedAsNotImplemented() {
        LayerCase c = new LayerCase("gla", "", Map.of(), Map.of(), Map.of(), Map.of());
        UnsupportedCaseException e = assertThrows(UnsupportedCaseException.class, () -> LayerConformance.evaluate(c));
        assertEquals("layer 'gla' is not implemented in this build", e.getMessage());
    }

    @Test
    void missingParameterIsNamed() {
        INDArray x = Nd4j.zeros(DataType.DOUBLE, 1, 2, 4);
        LayerCase c = new LayerCase("swiglu", "", Map.of("hidden", 3), Map.of("x", x), Map.of(), Map.of("output", x));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LayerConformance.evaluate(c));
        assertTrue(e.getMessage().contains("no param 'w1'"), e.getMessage());
    }
}
