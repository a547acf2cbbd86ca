package io.spindle.layers.golden;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;

/** MatFormer, Chain-of-Model and MASA layers against the shared golden vectors. */
class NestedLayerCasesTest {

    @ParameterizedTest
    @ValueSource(strings = {"matformer-ffn-m4", "matformer-ffn-m8", "matformer-ffn-m16", "colm-linear", "colm-rmsnorm",
        "colm-attention", "colm-air-attention", "masa"})
    void matchesGoldenVectors(String file) throws IOException {
        LayerConformanceTest.check(file);
    }
}
