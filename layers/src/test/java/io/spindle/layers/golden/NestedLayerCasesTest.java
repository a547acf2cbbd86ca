package io.spindle.layers.golden;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** MatFormer, Chain-of-Model and MASA layers against the shared golden vectors. */
class NestedLayerCasesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static INDArray tensor(JsonNode node) {
        long[] shape = new long[node.get("shape").size()];
        for (int i = 0; i < shape.length; i++) shape[i] = node.get("shape").get(i).asLong();
        double[] data = new double[node.get("data").size()];
        for (int i = 0; i < data.length; i++) data[i] = node.get("data").get(i).asDouble();
        return Nd4j.create(data, shape, DataType.DOUBLE);
    }

    private static Map<String, INDArray> tensors(JsonNode node) {
        Map<String, INDArray> out = new LinkedHashMap<>();
        node.fields().forEachRemaining(e -> out.put(e.getKey(), tensor(e.getValue())));
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"matformer-ffn-m4", "matformer-ffn-m8", "matformer-ffn-m16", "colm-linear", "colm-rmsnorm",
        "colm-attention", "colm-air-attention", "masa"})
    void matchesGoldenVectors(String file) throws IOException {
        JsonNode root = JSON.readTree(LayerConformanceTest.goldenLayers().resolve(file + ".json").toFile());
        Map<String, Object> config = new HashMap<>();
        // config values may be lists (chain sizes), read as the conformance runner reads them
        root.get("config").fields().forEachRemaining(e -> config.put(e.getKey(), JSON.convertValue(e.getValue(), Object.class)));
        LayerCase c = new LayerCase(root.get("layer").asText(), root.get("variant").asText(), config,
                tensors(root.get("inputs")), tensors(root.get("params")), tensors(root.get("upstream")));
        double rtol = root.get("tolerance").get("rtol").asDouble();
        double atol = root.get("tolerance").get("atol").asDouble();

        LayerResult result = LayerConformance.evaluate(c);

        Map<String, INDArray> want = new LinkedHashMap<>();
        tensors(root.get("expected").get("outputs")).forEach((k, v) -> want.put("outputs." + k, v));
        tensors(root.get("expected").get("grads")).forEach((k, v) -> want.put("grads." + k, v));
        assertEquals(result.outputs().size() + result.grads().size(), want.size(), "result names " + result.outputs().keySet()
                + " " + result.grads().keySet());
        for (Map.Entry<String, INDArray> e : want.entrySet()) {
            String[] path = e.getKey().split("\\.", 2);
            INDArray got = (path[0].equals("outputs") ? result.outputs() : result.grads()).get(path[1]);
            assertNotNull(got, e.getKey() + " missing from the result");
            assertArrayEquals(e.getValue().shape(), got.shape(), e.getKey() + " shape");
            double[] w = e.getValue().data().asDouble();
            double[] g = got.castTo(DataType.DOUBLE).dup('c').data().asDouble();
            for (int i = 0; i < w.length; i++) {
                assertTrue(Math.abs(g[i] - w[i]) <= atol + rtol * Math.abs(w[i]),
                        file + " " + e.getKey() + "[" + i + "]: got " + g[i] + ", want " + w[i]);
            }
        }
    }
}
