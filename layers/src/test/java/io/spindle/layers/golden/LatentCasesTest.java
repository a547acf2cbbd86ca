package io.spindle.layers.golden;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;

/** MLA and TPLA (no transform, Hadamard) against the shared golden vectors. */
class LatentCasesTest {

    @ParameterizedTest
    @ValueSource(strings = {"mla", "tpla-T2-none", "tpla-T2-hadamard"})
    void matchesGoldenVectors(String file) throws IOException {
        LayerConformanceTest.check(file);
    }
}
