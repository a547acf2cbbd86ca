package io.spindle.layers.model;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelConfigTest {

    private static String error(Runnable build) {
        return assertThrows(IllegalArgumentException.class, build::run).getMessage();
    }

    @Test
    void messagesNameTheKeyTheValueAndTheFix() {
        assertEquals("model.heads=6 does not divide model.dModel=256; choose a divisor of 256",
                error(() -> new ModelConfig("x", 258, 256, 2, 6, 512, 64, 10_000, 1e-5, 0.02)));
        assertTrue(error(() -> new ModelConfig("x", 258, 0, 2, 2, 512, 64, 10_000, 1e-5, 0.02))
                .startsWith("model.dModel=0 must be positive"));
        assertTrue(error(() -> new ModelConfig("x", 258, 96, 2, 32, 512, 64, 10_000, 1e-5, 0.02))
                .contains("RoPE rotates pairs"));
        assertTrue(error(() -> new ModelConfig("x", 258, 64, 2, 2, 512, 64, 0.5, 1e-5, 0.02)).startsWith("model.ropeBase=0.5"));
        assertTrue(error(() -> new ModelConfig("x", 258, 64, 2, 2, 512, 64, 10_000, 0, 0.02)).startsWith("model.normEps=0"));
        assertTrue(error(() -> new ModelConfig("x", 258, 64, 2, 2, 512, 64, 10_000, 1e-5, Double.NaN))
                .startsWith("model.initStd=NaN"));
        assertTrue(error(() -> new ModelConfig(" ", 258, 64, 2, 2, 512, 64, 10_000, 1e-5, 0.02)).startsWith("model.flavor"));
        assertTrue(error(() -> new ModelConfig("x", 0, 64, 2, 2, 512, 64, 10_000, 1e-5, 0.02)).startsWith("model.vocabSize=0"));
    }

    @Test
    void flavorsHaveTheAdvertisedSizes() {
        ModelConfig tiny = ModelFlavors.get("tiny");
        assertEquals(128, tiny.dModel());
        assertEquals(32, tiny.headDim());
        assertTrue(tiny.parameterCount() > 800_000 && tiny.parameterCount() < 1_200_000, "tiny has " + tiny.parameterCount());
        ModelConfig small = ModelFlavors.get("small");
        assertTrue(small.parameterCount() > 10_000_000 && small.parameterCount() < 20_000_000,
                "small has " + small.parameterCount());
        assertEquals(java.util.List.of("tiny", "small"), java.util.List.copyOf(ModelFlavors.names()));
    }

    @Test
    void unknownFlavorListsTheKnownOnes() {
        assertEquals("unknown model flavor 'huge'; known flavors: tiny, small", error(() -> ModelFlavors.get("huge")));
    }

    @Test
    void parameterCountMatchesTheFormula() {
        ModelConfig c = new ModelConfig("x", 10, 4, 3, 2, 6, 8, 10_000, 1e-5, 0.02);
        // embed + head + final norm + per block (2 norms + 4 attention + 3 SwiGLU matrices)
        assertEquals(10 * 4 * 2 + 4 + 3 * (2 * 4 + 4 * 16 + 3 * 4 * 6), c.parameterCount());
    }
}
