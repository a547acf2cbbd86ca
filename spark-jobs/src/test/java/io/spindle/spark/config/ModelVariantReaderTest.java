package io.spindle.spark.config;

import io.spindle.layers.matformer.JointTraining;
import io.spindle.layers.model.ModelConfig;
import io.spindle.layers.model.ModelVariant;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelVariantReaderTest {

    /** conf/ of the repository, found by walking up from the working directory. */
    private static File conf(String name) {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            File f = d.resolve("conf").resolve(name).toFile();
            if (f.isFile()) return f;
        }
        throw new IllegalStateException("no conf/" + name + " above " + Path.of("").toAbsolutePath());
    }

    @Test
    void theFeatureConfigsBuildTheirVariants() {
        ModelConfig matformer = ConfigLoader.load(conf("matformer.conf"), List.of()).model();
        assertEquals(List.of(8, 4, 2, 1), matformer.variant().matformer().divisors());
        assertEquals(JointTraining.Mode.SUMMED, matformer.variant().matformer().mode());
        ModelConfig colm = ConfigLoader.load(conf("colm.conf"), List.of("model.colm.air=true")).model();
        assertEquals(List.of(32, 32, 32, 32), colm.variant().colm().chains());
        assertTrue(colm.variant().colm().air());
        ModelConfig masa = ConfigLoader.load(conf("masa.conf"), List.of()).model();
        assertEquals(2, masa.variant().masa().atoms());
        assertEquals(6, masa.layers());
        assertEquals(ModelVariant.BASELINE, ConfigLoader.load(conf("tiny.conf"), List.of()).model().variant());
    }

    @Test
    void resolvedTextKeepsTheVariant() {
        SpindleConfig c = ConfigLoader.load(conf("colm.conf"), List.of("model.colm.prefixMode=sampled"));
        assertEquals(c.model(), ConfigLoader.fromText(c.resolvedText()).model());
    }

    @Test
    void badValuesNameTheKey() {
        File tiny = conf("tiny.conf");
        assertTrue(assertThrows(ConfigException.class, () -> ConfigLoader.load(tiny, List.of("model.matformer.divisors=[5]")))
                .getMessage().contains("model.matformer.divisors=[5]"));
        assertTrue(assertThrows(ConfigException.class, () -> ConfigLoader.load(tiny, List.of("model.colm.chains=[64]")))
                .getMessage().contains("not model.dModel=128"));
        assertTrue(assertThrows(ConfigException.class, () -> ConfigLoader.load(tiny, List.of("model.matformer.mode=both")))
                .getMessage().contains("model.matformer.mode"));
        assertTrue(assertThrows(ConfigException.class, () -> ConfigLoader.load(tiny, List.of("model.masa.atoms=9")))
                .getMessage().contains("model.masa.atoms=9"));
    }

    @Test
    void mlaAndTplaConfigsBuildLatentAttention() {
        ModelConfig mla = ConfigLoader.load(conf("mla.conf"), List.of()).model();
        assertTrue(mla.variant().mla().enabled());
        assertEquals(new io.spindle.layers.mla.LatentShape(128, 4, 32, 64, 16, 1), mla.variant().mla().shape(128, 4));
        SpindleConfig tpla = ConfigLoader.load(conf("tpla.conf"), List.of());
        assertEquals(2, tpla.model().variant().mla().tplaShards());
        assertEquals(2, tpla.model().variant().mla().shape(128, 4).shards());
        assertEquals(tpla.model(), ConfigLoader.fromText(tpla.resolvedText()).model());
        File tiny = conf("tiny.conf");
        assertTrue(assertThrows(ConfigException.class, () -> ConfigLoader.load(tiny, List.of("model.mla.tplaShards=2")))
                .getMessage().contains("set model.attention=mla"));
        assertTrue(assertThrows(ConfigException.class, () -> ConfigLoader.load(conf("masa.conf"), List.of("model.attention=mla")))
                .getMessage().contains("model.attention=mla cannot be combined with model.masa"));
        assertTrue(assertThrows(ConfigException.class, () -> ConfigLoader.load(tiny, List.of("model.attention=gqa")))
                .getMessage().contains("model.attention"));
        assertTrue(assertThrows(ConfigException.class, () -> ConfigLoader.load(conf("mla.conf"), List.of("model.mla.ropeDim=3")))
                .getMessage().contains("model.mla.ropeDim=3"));
    }
}
