package io.spindle.layers.golden;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;

/** The KAT and state-space layers against the shared golden vectors, checked as the baseline layers are. */
class KanSsmCasesTest {
    @ParameterizedTest
    @ValueSource(strings = {"rational", "grkan-ffn", "s4d", "selective-scan", "mamba-block"})
    void matchesGoldenVectors(String layer) throws IOException {
        new LayerConformanceTest().matchesGoldenVectors(layer);
    }
}
