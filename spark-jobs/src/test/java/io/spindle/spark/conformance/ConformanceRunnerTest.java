package io.spindle.spark.conformance;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConformanceRunnerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** {@code shared/golden/public}, found by walking up from the working directory (the module dir under Maven). */
    static Path goldenRoot() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("shared/golden/public");
            if (Files.isDirectory(candidate)) return candidate;
        }
        throw new IllegalStateException("no shared/golden/public above " + Path.of("").toAbsolutePath());
    }

    private record Run(ConformanceReport report, List<String> lines) {}

    private static Run run(OptimizerCases optimizers, Path... roots) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ConformanceReport report;
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            report = ConformanceRunner.run(List.of(roots), out, optimizers);
        }
        return new Run(report, bytes.toString(StandardCharsets.UTF_8).lines().toList());
    }

    private static Path copy(String layer, Path dir) throws IOException {
        return Files.copy(goldenRoot().resolve("layers/" + layer + ".json"), dir.resolve(layer + ".json"));
    }

    @Test
    void baselineLayersPass() {
        Path layers = goldenRoot().resolve("layers");
        Run r = run(OptimizerCases.NONE, layers.resolve("rmsnorm.json"), layers.resolve("attention.json"),
                layers.resolve("swiglu.json"), layers.resolve("block.json"));
        assertEquals(List.of("PASS rmsnorm", "PASS attention", "PASS swiglu", "PASS block", "4 passed, 0 failed"), r.lines());
        assertEquals(new ConformanceReport(4, 0), r.report());
    }

    @Test
    void directoriesAreWalkedInSortedOrderAndNamedRelativeToTheRoot(@TempDir Path dir) throws IOException {
        Files.createDirectories(dir.resolve("b"));
        copy("swiglu", Files.createDirectories(dir.resolve("b")));
        copy("rmsnorm", Files.createDirectories(dir.resolve("a")));
        Files.writeString(dir.resolve("a/notes.txt"), "not a golden file");
        Run r = run(OptimizerCases.NONE, dir);
        assertEquals(List.of("PASS a/rmsnorm", "PASS b/swiglu", "2 passed, 0 failed"), r.lines());
    }

    @Test
    void aCorruptedExpectedValueFailsWithItsLocation(@TempDir Path dir) throws IOException {
        ObjectNode root = (ObjectNode) JSON.readTree(goldenRoot().resolve("layers/attention.json").toFile());
        ArrayNode data = (ArrayNode) root.at("/expected/grads/wq/data");
        data.set(13, data.get(13).asDouble() + 0.5); // wq is [8, 8]: element 13 is [1,5]
        JSON.writeValue(dir.resolve("attention.json").toFile(), root);
        Run r = run(OptimizerCases.NONE, dir.resolve("attention.json"));
        assertTrue(r.lines().get(0).startsWith("FAIL attention: max abs err 0.500 at grads.wq[1,5]"), r.lines().get(0));
        assertTrue(r.lines().get(0).contains("1 of "), r.lines().get(0));
        assertEquals("0 passed, 1 failed", r.lines().get(1));
        assertEquals(new ConformanceReport(0, 1), r.report());
    }

    @Test
    void malformedFilesFailNamingTheFileAndTheProblem(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("broken.json"), "{\"kind\": \"layer\", \"layer\": ");
        ObjectNode root = (ObjectNode) JSON.readTree(goldenRoot().resolve("layers/swiglu.json").toFile());
        ((ArrayNode) root.at("/inputs/x/data")).remove(0);
        JSON.writeValue(dir.resolve("short.json").toFile(), root);
        Run r = run(OptimizerCases.NONE, dir);
        assertTrue(r.lines().get(0).startsWith("FAIL broken: malformed golden file " + dir.resolve("broken.json")
                + ": not valid JSON"), r.lines().get(0));
        assertTrue(r.lines().get(1).startsWith("FAIL short: malformed golden file " + dir.resolve("short.json")
                + ": 'inputs.x': shape [2, 5, 8] needs 80 values but data has 79"), r.lines().get(1));
        assertEquals("0 passed, 2 failed", r.lines().get(2));
    }

    @Test
    void unimplementedLayersAndOptimizersAndMissingPathsFail(@TempDir Path dir) throws java.io.IOException {
        // every public layer is implemented: a case of an unknown layer stands in
        Path unknown = java.nio.file.Files.writeString(dir.resolve("gla.json"), java.nio.file.Files.readString(
                goldenRoot().resolve("layers/mla.json")).replaceFirst("\"layer\": *\"mla\"", "\"layer\": \"gla\""));
        Path empty = java.nio.file.Files.createDirectory(dir.resolve("empty"));
        Run r = run(OptimizerCases.NONE, unknown, goldenRoot().resolve("optim/adamw.json"), dir.resolve("absent"), empty);
        assertEquals(List.of("FAIL gla: layer 'gla' is not implemented in this build",
                "FAIL adamw: optimizer 'adamw' is not implemented in this build",
                "FAIL " + dir.resolve("absent") + ": no such file or directory",
                "FAIL " + empty + ": holds no *.json golden files",
                "0 passed, 4 failed"), r.lines());
    }

    /** Multi-case function files name each case #k and route through OptimizerCases. */
    @Test
    void functionCasesReachTheOptimizerCasesAndAreNumbered() {
        Path file = goldenRoot().resolve("optim/newton-schulz.json");
        OptimizerCases echo = new OptimizerCases() {
            @Override
            public boolean supports(String algorithm) {
                return algorithm.equals("newton-schulz");
            }

            @Override
            public Map<String, INDArray> evaluate(GoldenCase c) {
                Map<String, INDArray> out = new LinkedHashMap<>();
                c.expected().forEach((k, v) -> out.put(k, v.toINDArray()));
                if (c.name().endsWith("#1")) out.get("output").putScalar(0, 0, 99.0);
                return out;
            }
        };
        Run r = run(echo, file);
        assertEquals("PASS newton-schulz#0", r.lines().get(0));
        assertTrue(r.lines().get(1).startsWith("FAIL newton-schulz#1: max abs err") && r.lines().get(1).contains("at output[0,0]"),
                r.lines().get(1));
        assertEquals("PASS newton-schulz#2", r.lines().get(2));
        assertEquals("2 passed, 1 failed", r.lines().get(3));
    }
}
