package io.spindle.spark.conformance;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OptimizerGoldenCasesTest {
    private final OptimizerGoldenCases cases = new OptimizerGoldenCases();

    /** Every implemented optimizer and function file of the public set passes through the spark-jobs reader. */
    @ParameterizedTest
    @ValueSource(strings = {"adamw", "lamb", "muon", "normuon", "auon", "auon-package", "hybrid-auon",
            "hybrid-auon-package", "newton-schulz", "coat-adamw", "coat-quantize", "fp8-e4m3", "fp8-e5m2"})
    void publicCasePasses(String name) throws MalformedGoldenFileException {
        Path file = ConformanceRunnerTest.goldenRoot().resolve("optim/" + name + ".json");
        List<GoldenCase> read = GoldenFile.read(file, name);
        assertFalse(read.isEmpty());
        for (GoldenCase c : read) {
            assertTrue(cases.supports(c.subject()), c.subject());
            assertNull(TensorComparison.failure(c.expected(), cases.evaluate(c), c.tolerance()), c.name());
        }
    }

    @Test
    void unknownAlgorithmsAreUnsupported() {
        for (String algorithm : List.of("sgd", "fp4-e2m1", "adafactor")) {
            assertFalse(cases.supports(algorithm), algorithm);
        }
    }

    @Test
    void isTheRegisteredImplementation() {
        assertEquals(OptimizerGoldenCases.class, OptimizerCases.discover().getClass());
    }
}
