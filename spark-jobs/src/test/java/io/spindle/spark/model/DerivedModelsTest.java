package io.spindle.spark.model;

import io.spindle.layers.core.Parameter;
import io.spindle.layers.model.TransformerLM;
import io.spindle.parallel.checkpoint.CheckpointContent;
import io.spindle.parallel.checkpoint.CheckpointWriter;
import io.spindle.spark.SpindleMain;
import io.spindle.spark.config.ConfigLoader;
import io.spindle.spark.config.SpindleConfig;
import io.spindle.spark.fs.HadoopCheckpointStorage;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code spindle extract} and {@code spindle convert} end to end on checkpoints in a temporary directory. */
class DerivedModelsTest {
    private static final int BATCH = 2, SEQ = 8;

    @TempDir
    Path dir;

    /** A run directory with one checkpoint (step 7) of a freshly initialized model of {@code conf}. */
    private TransformerLM checkpoint(String name, String conf) throws IOException {
        Path file = dir.resolve(name + ".conf");
        Files.writeString(file, "run.name = " + name + "\nrun.dir = \"" + dir.resolve(name) + "\"\n" + conf);
        SpindleConfig config = ConfigLoader.load(file.toFile(), List.of());
        TransformerLM model = new TransformerLM(config.model(), 3);
        Map<String, INDArray> params = new LinkedHashMap<>();
        for (Parameter p : model.parameters().parameters()) params.put(p.name(), p.value());
        new CheckpointWriter(new HadoopCheckpointStorage(config.run().checkpointsDir(), new Configuration()), "test", 1)
                .write(new CheckpointContent(7, config.resolvedText(), 1, 1, Map.of(), params, Map.of()));
        return model;
    }

    private TransformerLM load(String name) throws IOException {
        return CheckpointModels.load(dir.resolve(name).toString(), List.of(), new Configuration(), System.err).model();
    }

    private static int[] ids() {
        SplittableRandom random = new SplittableRandom(1);
        int[] ids = new int[BATCH * SEQ];
        for (int i = 0; i < ids.length; i++) ids[i] = random.nextInt(258);
        return ids;
    }

    private static double maxDiff(INDArray a, INDArray b) {
        return a.sub(b).amaxNumber().doubleValue();
    }

    @Test
    void extractsAMixNMatchMatFormerSubModel() throws IOException {
        TransformerLM source = checkpoint("mf", "model.matformer.divisors = [8, 4, 2, 1]");
        assertEquals(0, SpindleMain.execute("extract", dir.resolve("mf").toString(), "--widths", "48,96,384,192",
                "--out", dir.resolve("mf-mix").toString()));
        TransformerLM extracted = load("mf-mix");
        assertEquals(List.of(48, 96, 384, 192), extracted.config().variant().ffnHiddenPerLayer());
        assertTrue(extracted.parameters().totalSize() < source.parameters().totalSize());
        source.useFfnWidths(48, 96, 384, 192);
        assertTrue(maxDiff(source.forwardLogits(ids(), BATCH, SEQ), extracted.forwardLogits(ids(), BATCH, SEQ)) < 1e-5);
        // a uniform granularity, and the eval of an extracted run refuses nothing: it is a plain model
        assertEquals(0, SpindleMain.execute("extract", dir.resolve("mf").toString(), "--widths", "96",
                "--out", dir.resolve("mf-96").toString()));
        assertEquals(96, load("mf-96").config().ffnHidden());
    }

    @Test
    void extractsChainPrefixesAndGrowsAChain() throws IOException {
        TransformerLM source = checkpoint("colm", "model.colm.chains = [32, 32, 64]");
        assertEquals(0, SpindleMain.execute("extract", dir.resolve("colm").toString(), "--chains", "2",
                "--out", dir.resolve("colm-k2").toString()));
        TransformerLM prefix = load("colm-k2");
        assertEquals(64, prefix.config().dModel());
        source.useChainPrefix(2);
        assertTrue(maxDiff(source.forwardLogits(ids(), BATCH, SEQ), prefix.forwardLogits(ids(), BATCH, SEQ)) < 1e-5);

        assertEquals(0, SpindleMain.execute("extract", dir.resolve("colm").toString(), "--grow", "32",
                "--out", dir.resolve("colm-grown").toString()));
        TransformerLM grown = load("colm-grown");
        assertEquals(List.of(32, 32, 64, 32), grown.config().variant().colm().chains());
        source.useChainPrefix(3);
        assertTrue(maxDiff(source.forwardLogits(ids(), BATCH, SEQ), grown.forwardLogits(ids(), BATCH, SEQ)) < 1e-5);
        assertTrue(Files.isRegularFile(dir.resolve("colm-grown").resolve("config.resolved.conf")));
    }

    @Test
    void convertsABaselineToMasaAndRefusesBadRequests() throws IOException {
        TransformerLM source = checkpoint("base", "model.layers = 3");
        assertEquals(0, SpindleMain.execute("convert", dir.resolve("base").toString(), "--atoms", "3",
                "--out", dir.resolve("masa").toString()));
        TransformerLM masa = load("masa");
        assertEquals(3, masa.config().variant().masa().atoms());
        assertTrue(maxDiff(source.forwardLogits(ids(), BATCH, SEQ), masa.forwardLogits(ids(), BATCH, SEQ)) < 1e-4);
        assertEquals(2, SpindleMain.execute("convert", dir.resolve("base").toString(), "--atoms", "4",
                "--out", dir.resolve("masa4").toString()), "more atoms than layers is bad input");
        assertEquals(2, SpindleMain.execute("extract", dir.resolve("base").toString(), "--chains", "1",
                "--out", dir.resolve("x").toString()), "a baseline has no chains");
        assertEquals(2, SpindleMain.execute("convert", dir.resolve("base").toString(), "--atoms", "2",
                "--out", dir.resolve("masa").toString()), "an existing output run is refused");
    }

    /** An MLA run converted to TPLA over 2 ranks: the same model in MLA form, TP decoding through generate. */
    @Test
    void convertsMlaToTplaAndGeneratesOverTheRanks() throws IOException {
        TransformerLM source = checkpoint("mla", "model.attention = mla\nmodel.mla.latent = 64\nmodel.layers = 2");
        assertEquals(0, SpindleMain.execute("convert", dir.resolve("mla").toString(), "--to", "tpla", "--tp", "2",
                "--transform", "hadamard", "--out", dir.resolve("tpla").toString()));
        TransformerLM tpla = load("tpla");
        assertEquals(2, tpla.config().variant().mla().tplaShards());
        assertTrue(maxDiff(source.forwardLogits(ids(), BATCH, SEQ), tpla.forwardLogits(ids(), BATCH, SEQ)) < 1e-4);
        String text = new io.spindle.spark.generate.TextGenerator(tpla, 16).generate("Emma", 20, 1.0, 10, 3);
        assertTrue(text.startsWith("Emma") && text.length() > 4, text);
        assertEquals(text, new io.spindle.spark.generate.TextGenerator(tpla, 16).generate("Emma", 20, 1.0, 10, 3));
        assertEquals(2, SpindleMain.execute("convert", dir.resolve("mla").toString(), "--to", "tpla", "--tp", "3",
                "--out", dir.resolve("tpla3").toString()), "3 does not divide the latent 64");
        assertEquals(2, SpindleMain.execute("convert", dir.resolve("mla").toString(), "--to", "tpla",
                "--out", dir.resolve("tpla0").toString()), "--tp is required");
        assertEquals(2, SpindleMain.execute("convert", dir.resolve("base2").toString(), "--to", "gla", "--tp", "2",
                "--out", dir.resolve("x").toString()), "unknown form or missing run");
        checkpoint("plain", "model.layers = 2");
        assertEquals(2, SpindleMain.execute("convert", dir.resolve("plain").toString(), "--to", "tpla", "--tp", "2",
                "--out", dir.resolve("plain-tpla").toString()), "a multi-head attention model has no latent");
    }
}
