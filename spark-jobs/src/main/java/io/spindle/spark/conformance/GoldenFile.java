package io.spindle.spark.conformance;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.spindle.layers.golden.LayerCase;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Reads golden-vector files (schema in {@code shared/golden/README.md}) into {@link GoldenCase}s. */
public final class GoldenFile {
    // Python's json module writes NaN and Infinity literals; accept them rather than call the file malformed.
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();
    private static final Set<String> FUNCTION_INPUTS = Set.of("input", "inputs");

    private GoldenFile() {}

    /** The cases of {@code file}, named {@code name} (or {@code name#k} when the file holds several). */
    public static List<GoldenCase> read(Path file, String name) throws MalformedGoldenFileException {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new MalformedGoldenFileException(file, "not valid JSON: " + e.getOriginalMessage()
                    + (e.getLocation() != null ? " at line " + e.getLocation().getLineNr()
                    + ", column " + e.getLocation().getColumnNr() : ""));
        } catch (IOException e) {
            throw new MalformedGoldenFileException(file, "cannot be read: " + e.getMessage());
        }
        try {
            return cases(file, name, root);
        } catch (IllegalArgumentException e) {
            throw new MalformedGoldenFileException(file, e.getMessage());
        }
    }

    private static List<GoldenCase> cases(Path file, String name, JsonNode root) {
        require(root != null && root.isObject(), "the top level must be a JSON object");
        String kind = text(root, "kind");
        Tolerance tolerance = tolerance(field(root, "tolerance"));
        switch (kind) {
            case "layer" -> {
                LayerCase layer = layerCase(root);
                Map<String, GoldenTensor> expected = new LinkedHashMap<>();
                tensors(field(root, "expected.outputs"), "expected.outputs").forEach((k, v) -> expected.put("outputs." + k, v));
                tensors(field(root, "expected.grads"), "expected.grads").forEach((k, v) -> expected.put("grads." + k, v));
                return List.of(new GoldenCase(name, file, kind, layer.layer(), root, tolerance, layer, expected));
            }
            case "optimizer" -> {
                String algorithm = text(root, "algorithm");
                field(root, "inputs");
                Map<String, GoldenTensor> expected = new LinkedHashMap<>();
                flatten("", field(root, "expected"), expected);
                require(!expected.isEmpty(), "'expected' holds no tensors");
                return List.of(new GoldenCase(name, file, kind, algorithm, root, tolerance, null, expected));
            }
            case "function" -> {
                String algorithm = text(root, "algorithm");
                JsonNode list = field(root, "cases");
                require(list.isArray() && !list.isEmpty(), "'cases' must be a non-empty list");
                List<GoldenCase> out = new ArrayList<>();
                for (int k = 0; k < list.size(); k++) {
                    JsonNode c = list.get(k);
                    require(c.isObject(), "cases[" + k + "] must be an object");
                    require(c.has("input") || c.has("inputs"), "cases[" + k + "] has no 'input'");
                    Map<String, GoldenTensor> expected = new LinkedHashMap<>();
                    c.fields().forEachRemaining(e -> {
                        if (!FUNCTION_INPUTS.contains(e.getKey()) && e.getValue().isContainerNode()) {
                            flatten(e.getKey(), e.getValue(), expected);
                        }
                    });
                    require(!expected.isEmpty(), "cases[" + k + "] expects nothing");
                    String caseName = list.size() > 1 ? name + "#" + k : name;
                    out.add(new GoldenCase(caseName, file, kind, algorithm, c, tolerance, null, expected));
                }
                return out;
            }
            default -> throw new IllegalArgumentException("kind '" + kind + "' is not one of layer, optimizer, function");
        }
    }

    private static LayerCase layerCase(JsonNode root) {
        Map<String, Object> config = new LinkedHashMap<>();
        if (root.has("config")) {
            require(root.get("config").isObject(), "'config' must be an object");
            root.get("config").fields().forEachRemaining(e -> config.put(e.getKey(),
                    JSON.convertValue(e.getValue(), Object.class)));
        }
        return new LayerCase(text(root, "layer"), root.path("variant").asText(""), config,
                arrays(field(root, "inputs"), "inputs"), arrays(field(root, "params"), "params"),
                arrays(field(root, "upstream"), "upstream"));
    }

    private static Map<String, INDArray> arrays(JsonNode node, String where) {
        Map<String, INDArray> out = new LinkedHashMap<>();
        tensors(node, where).forEach((k, v) -> out.put(k, v.toINDArray()));
        return out;
    }

    /** An object whose every field is a tensor. */
    public static Map<String, GoldenTensor> tensors(JsonNode node, String where) {
        require(node.isObject(), "'" + where + "' must be an object of tensors");
        Map<String, GoldenTensor> out = new LinkedHashMap<>();
        node.fields().forEachRemaining(e -> out.put(e.getKey(), tensor(e.getValue(), where + "." + e.getKey())));
        return out;
    }

    /** {@code {"shape": [...], "data": [...]}} → tensor; {@code where} names it in errors. */
    public static GoldenTensor tensor(JsonNode node, String where) {
        require(isTensor(node), "'" + where + "' must be a tensor {\"shape\": [...], \"data\": [...]}");
        JsonNode shapeNode = node.get("shape");
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            require(shapeNode.get(i).canConvertToExactIntegral(), "'" + where + "' shape has a non-integer entry " + shapeNode.get(i));
            shape[i] = shapeNode.get(i).asLong();
        }
        double[] data = numbers(node.get("data"), where + ".data");
        try {
            return new GoldenTensor(shape, data);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + where + "': " + e.getMessage());
        }
    }

    private static boolean isTensor(JsonNode node) {
        return node != null && node.isObject() && node.path("shape").isArray() && node.path("data").isArray();
    }

    private static double[] numbers(JsonNode array, String where) {
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) {
            require(array.get(i).isNumber(), "'" + where + "[" + i + "]' is not a number: " + array.get(i));
            out[i] = array.get(i).asDouble();
        }
        return out;
    }

    /** Expected values: tensors at the leaves, numbers as scalars, number lists as 1-D tensors; text is ignored. */
    private static void flatten(String path, JsonNode node, Map<String, GoldenTensor> out) {
        if (isTensor(node)) {
            out.put(path, tensor(node, path));
        } else if (node.isObject()) {
            node.fields().forEachRemaining(e -> flatten(path.isEmpty() ? e.getKey() : path + "." + e.getKey(), e.getValue(), out));
        } else if (node.isArray()) {
            boolean allNumbers = true;
            for (JsonNode item : node) allNumbers &= item.isNumber();
            if (allNumbers) {
                out.put(path, new GoldenTensor(new long[] {node.size()}, numbers(node, path)));
            } else {
                for (int i = 0; i < node.size(); i++) flatten(path + "[" + i + "]", node.get(i), out);
            }
        } else if (node.isNumber()) {
            out.put(path, new GoldenTensor(new long[0], new double[] {node.asDouble()}));
        }
    }

    private static Tolerance tolerance(JsonNode node) {
        require(node.isObject() && node.path("rtol").isNumber() && node.path("atol").isNumber(),
                "'tolerance' must be {\"rtol\": number, \"atol\": number}");
        return new Tolerance(node.get("rtol").asDouble(), node.get("atol").asDouble());
    }

    /** The field at a dotted path such as {@code expected.outputs}. */
    private static JsonNode field(JsonNode node, String path) {
        JsonNode at = node;
        for (String key : path.split("\\.")) {
            require(at.has(key), "missing '" + path + "'");
            at = at.get(key);
        }
        return at;
    }

    private static String text(JsonNode node, String key) {
        require(field(node, key).isTextual(), "'" + key + "' must be a string");
        return node.get(key).asText();
    }

    private static void require(boolean ok, String what) {
        if (!ok) throw new IllegalArgumentException(what);
    }
}
