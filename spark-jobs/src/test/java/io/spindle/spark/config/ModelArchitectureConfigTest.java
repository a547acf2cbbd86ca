package io.spindle.spark.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** model.mixers and model.ffn: per-layer sequence mixers and the feed-forward kind. */
class ModelArchitectureConfigTest {
    @TempDir
    Path dir;

    private SpindleConfig load(String text, String... overrides) throws IOException {
        Path p = dir.resolve("test.conf");
        Files.writeString(p, text);
        return ConfigLoader.load(p.toFile(), List.of(overrides));
    }

    private String error(String text) throws IOException {
        return assertThrows(ConfigException.class, () -> load(text)).getMessage();
    }

    @Test
    void defaultIsAttentionAndSwiGluEverywhere() throws IOException {
        SpindleConfig c = load("run.name = a");
        assertEquals(List.of(), c.model().mixers());
        assertEquals("attention", c.model().mixer(3));
        assertEquals("swiglu", c.model().ffn());
    }

    @Test
    void oneNameAppliesToEveryLayerAndAListGivesEachItsOwn() throws IOException {
        SpindleConfig all = load("run.name = a\nmodel.mixers = mamba\nmodel.ffn = gr-kan");
        assertEquals(List.of("mamba", "mamba", "mamba", "mamba"), all.model().mixers());
        assertEquals("gr-kan", all.model().ffn());
        SpindleConfig each = load("run.name = a", "model.mixers=[mamba, mamba, attention, s4d]");
        assertEquals(List.of("mamba", "mamba", "attention", "s4d"), each.model().mixers());
        assertEquals(each.model(), ConfigLoader.fromText(each.resolvedText()).model(), "the resolved text keeps them");
    }

    @Test
    void badArchitecturesNameTheKeyAndTheFix() throws IOException {
        assertTrue(error("model.mixers = [mamba, attention]")
                .startsWith("model.mixers has 2 entries but model.layers=4; give one mixer per layer"));
        assertTrue(error("model.mixers = [rnn]").contains("model.mixers has 'rnn'; each entry must be one of [attention, mamba, s4d]"));
        String ffn = error("model.ffn = kan");
        assertTrue(ffn.contains("model.ffn") && ffn.contains("gr-kan"), ffn);
        assertTrue(error("model.ffn = gr-kan\nmodel.ffnHidden = 100").contains("must both be multiples of 8"));
        assertTrue(error("model.mixers = 3").contains("model.mixers"));
    }

    @Test
    void variantsThatNeedAttentionEverywhereRefuseStateSpaceMixers() throws IOException {
        String colm = error("run.name = a\nmodel.mixers = mamba\nmodel.colm.chains = [64, 64]");
        assertTrue(colm.contains("model.colm cannot be combined with model.mixers=[mamba, mamba, mamba, mamba]"), colm);
        SpindleConfig matformer = load("run.name = a\nmodel.mixers = [mamba, attention, mamba, s4d]\nmodel.matformer.divisors = [2, 1]");
        assertEquals("s4d", matformer.model().mixer(3));
        assertTrue(matformer.model().variant().matformer().enabled());
    }

    @Test
    void shippedArchitectureConfigsLoad() throws IOException {
        assertEquals(List.of("mamba", "mamba", "attention", "mamba"),
                ConfigLoader.load(new File("../conf/hybrid.conf"), List.of()).model().mixers());
        assertEquals("gr-kan", ConfigLoader.load(new File("../conf/kat.conf"), List.of()).model().ffn());
        assertEquals("s4d", ConfigLoader.load(new File("../conf/s4d.conf"), List.of()).model().mixer(0));
        assertEquals("mamba", ConfigLoader.load(new File("../conf/mamba.conf"), List.of()).model().mixer(3));
    }
}
