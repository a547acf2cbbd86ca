package io.spindle.spark.config;

import io.spindle.parallel.comm.WirePrecision;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.spindle.optim.offload.OffloadConfig;
import io.spindle.optim.routing.GroupLearningRate;
import io.spindle.optim.state.StateFormat;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigLoaderTest {
    @TempDir
    Path dir;

    private File write(String text) throws IOException {
        Path p = dir.resolve("test.conf");
        Files.writeString(p, text);
        return p.toFile();
    }

    private String error(String text, String... overrides) throws IOException {
        File f = write(text);
        return assertThrows(ConfigException.class, () -> ConfigLoader.load(f, List.of(overrides))).getMessage();
    }

    @Test
    void readsAFileWithDefaultsAndOverrides() throws IOException {
        SpindleConfig c = ConfigLoader.load(write("run.name = demo\ntrain.steps = 50\nmodel.layers = 3"),
                List.of("train.lr=1e-3", "data.source=/tmp/x.txt"));
        assertEquals("demo", c.run().name());
        assertEquals("runs/demo", c.run().dir());
        assertEquals("runs/demo/data", c.data().prepared());
        assertEquals(50, c.train().steps());
        assertEquals(1e-3, c.train().lr());
        assertEquals(3, c.model().layers());
        assertEquals(128, c.model().dModel(), "other fields come from the tiny flavor");
        assertEquals(List.of("/tmp/x.txt"), c.data().source());
    }

    @Test
    void resolvedTextRebuildsTheSameConfig() throws IOException {
        SpindleConfig c = ConfigLoader.load(write("run.name = demo\ntrain.steps = 50"), List.of("model.heads=2"));
        SpindleConfig again = ConfigLoader.fromText(c.resolvedText());
        assertEquals(c.train(), again.train());
        assertEquals(c.model(), again.model());
        assertEquals(c.run(), again.run());
        assertEquals(c.data(), again.data());
    }

    @Test
    void unknownKeySuggestsTheClosestOne() throws IOException {
        String msg = error("train.stpes = 5");
        assertTrue(msg.contains("train.stpes") && msg.contains("did you mean train.steps?"), msg);
    }

    @Test
    void wrongTypeNamesTheKeyAndTheExpectedType() throws IOException {
        String msg = error("train.steps = lots");
        assertTrue(msg.contains("train.steps") && msg.contains("whole number"), msg);
    }

    @Test
    void outOfRangeValuesAreRefused() throws IOException {
        assertTrue(error("train.lr = -1").contains("train.lr"));
        assertTrue(error("train.beta2 = 1.5").contains("train.beta2"));
        assertTrue(error("data.validationFraction = 0.9").contains("data.validationFraction"));
    }

    @Test
    void headsThatDoNotDivideDModelAreRefusedWithTheFix() throws IOException {
        String msg = error("model.heads = 3");
        assertTrue(msg.contains("heads") && msg.contains("128"), msg);
    }

    @Test
    void sequenceLongerThanTheModelAllowsIsRefused() throws IOException {
        String msg = error("train.seq = 4096");
        assertTrue(msg.contains("train.seq=4096") && msg.contains("model.maxSeq"), msg);
    }

    @Test
    void unknownFlavorListsTheKnownOnes() throws IOException {
        String msg = error("model.flavor = huge");
        assertTrue(msg.contains("huge") && msg.contains("tiny") && msg.contains("small"), msg);
    }

    @Test
    void emptyMeshesAreRefused() throws IOException {
        assertTrue(error("parallel.tp = 0").contains("parallel.tp"));
        assertTrue(error("parallel.dp = 0").contains("parallel.dp"));
    }

    @Test
    void tensorParallelismIsAcceptedWhenTheModelSplitsEvenly() throws IOException {
        SpindleConfig c = ConfigLoader.load(write("parallel.dp = 2\nparallel.tp = 2"), List.of());
        assertEquals(2, c.parallel().tp());
        assertEquals(4, c.parallel().world());
        SpindleConfig padded = ConfigLoader.load(write("parallel.tp = 4\nmodel.vocabSize = 260"), List.of());
        assertEquals(4, padded.parallel().world());
    }

    @Test
    void tensorParallelismNamesWhatDoesNotSplit() throws IOException {
        String vocab = error("parallel.tp = 4");
        assertTrue(vocab.contains("model.vocabSize=258") && vocab.contains("model.vocabSize=260"), vocab);
        String heads = error("parallel.tp = 3");
        assertTrue(heads.contains("model.heads=4") && heads.contains("parallel.tp=3"), heads);
        String ffn = error("parallel.tp = 2\nmodel.ffnHidden = 385");
        assertTrue(ffn.contains("model.ffnHidden=385"), ffn);
        assertEquals("muon", ConfigLoader.load(write("parallel.tp = 2\noptim.name = muon"), List.of()).optim().name(),
                "Muon orthogonalizes each sliced matrix gathered whole");
        String normuon = error("parallel.tp = 2\noptim.name = normuon");
        assertTrue(normuon.contains("optim.name=normuon") && normuon.contains("muon"), normuon);
        assertEquals("lamb", ConfigLoader.load(write("parallel.tp = 2\noptim.name = lamb"), List.of()).optim().name(),
                "LAMB's whole-tensor norms are completed over the TP group");
        assertEquals("gr-kan", ConfigLoader.load(write("parallel.tp = 2\nmodel.ffn = gr-kan"), List.of()).model().ffn());
        assertEquals(List.of("s4d", "attention", "s4d", "attention"), ConfigLoader.load(write(
                "parallel.tp = 2\nmodel.mixers = [s4d, attention, s4d, attention]"), List.of()).model().mixers());
        assertEquals(1, ConfigLoader.load(write("parallel.tp = 2\nmodel.masa.atoms = 1"), List.of()).model().variant()
                .masa().atoms(), "MASA's atoms split like the projections they build");
        String coat = error("parallel.tp = 2\noptim.state = coat");
        assertTrue(coat.contains("optim.state=coat"), coat);
        String mamba = error("parallel.tp = 2\nmodel.mixers = [mamba, attention, mamba, attention]");
        assertTrue(mamba.contains("model.mixers") && mamba.contains("parallel.tp=1"), mamba);
        assertEquals(List.of(1, 2), ConfigLoader.load(write("parallel.tp = 2\nmodel.matformer.divisors = [1, 2]"), List.of())
                .model().variant().matformer().divisors(), "MatFormer's nested FFN splits by hidden neurons");
        String colm = error("parallel.tp = 2\nmodel.colm.chains = [64, 64]");
        assertTrue(colm.contains("model.colm"), colm);
        SpindleConfig mla = ConfigLoader.load(write("parallel.tp = 2\nmodel.attention = mla"), List.of());
        assertTrue(mla.model().variant().mla().enabled(), "MLA splits by heads like MHA");
        String tplaForm = "model.attention = mla\nmodel.mla.tplaShards = 2\nmodel.mla.sequenceForm = tpla\n";
        assertEquals(2, ConfigLoader.load(write(tplaForm + "parallel.tp = 2"), List.of()).parallel().tp(),
                "TPLA's sequence form splits by latent shards");
        String shards = error(tplaForm + "parallel.tp = 4");
        assertTrue(shards.contains("model.mla.tplaShards=2") && shards.contains("parallel.tp=4"), shards);
        SpindleConfig offloaded = ConfigLoader.load(write("parallel.tp = 2\noptim.offload.enabled = true"), List.of());
        assertTrue(offloaded.optim().offload().enabled(), "dense AdamW's slices may be offloaded under TP");
    }

    @Test
    void dataParallelMeshIsAcceptedWhenItDividesTheBatch() throws IOException {
        SpindleConfig c = ConfigLoader.load(write("parallel.dp = 4\ntrain.batch = 16"), List.of("parallel.bucketMb=2"));
        assertEquals(4, c.parallel().dp());
        assertEquals(4, c.parallel().world());
        assertEquals(2 << 20, c.parallel().bucketBytes());
        String msg = error("parallel.dp = 3\ntrain.batch = 16");
        assertTrue(msg.contains("train.batch=16") && msg.contains("parallel.dp=3") && msg.contains("multiple of 3"), msg);
        assertTrue(error("parallel.bucketMb = 0").contains("parallel.bucketMb"));
    }

    @Test
    void parallelKeysHaveDefaultsAndReachTheCommunicator() throws IOException {
        SpindleConfig.Parallel d = ConfigLoader.load(write(""), List.of()).parallel();
        assertEquals(new SpindleConfig.Parallel(1, 1, 4, WirePrecision.FLOAT32, 120, 3, 10), d);
        SpindleConfig.Parallel p = ConfigLoader.load(write("parallel { gradPrecision = bfloat16, timeoutSeconds = 7 }"),
                List.of("parallel.attempts=5", "parallel.retryBackoffSeconds=0")).parallel();
        assertEquals(WirePrecision.BFLOAT16, p.gradPrecision());
        assertEquals(Duration.ofSeconds(7), p.comm().ioTimeout());
        assertEquals(Duration.ofSeconds(7), p.comm().connectTimeout());
        assertEquals(5, p.attempts());
        assertEquals(Duration.ZERO, p.backoff(3));
        assertEquals(List.of(Duration.ofSeconds(10), Duration.ofSeconds(20), Duration.ofSeconds(40)),
                List.of(d.backoff(1), d.backoff(2), d.backoff(3)), "the backoff doubles after every failure");
        assertEquals(Duration.ofHours(1), d.backoff(40), "and stops growing at an hour");
    }

    /** The error for {@code config} contains every one of {@code parts}. */
    private void refusedNaming(String config, String... parts) throws IOException {
        String msg = error(config);
        for (String part : parts) assertTrue(msg.contains(part), "\"" + part + "\" in: " + msg);
    }

    @Test
    void badParallelValuesNameKeyValueAndFix() throws IOException {
        refusedNaming("parallel.gradPrecision = fp8", "parallel.gradPrecision=\"fp8\"", "bfloat16");
        refusedNaming("parallel.timeoutSeconds = 0", "parallel.timeoutSeconds=0", "positive");
        refusedNaming("parallel.timeoutSeconds = 100000", "parallel.timeoutSeconds=100000", "86400");
        refusedNaming("parallel.attempts = 0", "parallel.attempts=0", "positive");
        refusedNaming("parallel.attempts = 1000", "parallel.attempts=1000", "1 to 100");
        refusedNaming("parallel.retryBackoffSeconds = -1", "parallel.retryBackoffSeconds=-1", "0 to 3600");
        refusedNaming("mesh.dp = 2", "mesh.dp", "write parallel.dp instead");
    }

    @Test
    void malformedOverrideAndMissingFileAreExplained() throws IOException {
        assertTrue(error("", "train.steps").contains("key=value"));
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.load(dir.resolve("absent.conf").toFile(), List.of()));
        assertTrue(e.getMessage().contains("absent.conf") && e.getMessage().contains("does not exist"));
    }

    @Test
    void sparkPropertiesPassThrough() throws IOException {
        SpindleConfig c = ConfigLoader.load(write("spark.conf { \"spark.executor.memory\" = \"2g\" }"), List.of());
        assertEquals("2g", c.spark().conf().get("spark.executor.memory"));
    }

    @Test
    void readsYamlWithTheSameKeysAndChecks() throws IOException {
        Path yaml = dir.resolve("run.yaml");
        Files.writeString(yaml, "run:\n  name: fromyaml\ntrain:\n  steps: 400\n  lr: 0.002\nmodel.layers: 2\n");
        SpindleConfig c = ConfigLoader.load(yaml.toFile(), List.of("train.batch=8"));
        assertEquals("fromyaml", c.run().name());
        assertEquals(400, c.train().steps());
        assertEquals(0.002, c.train().lr());
        assertEquals(2, c.model().layers());
        assertEquals(8, c.train().batch());
        Files.writeString(yaml, "train:\n  stepz: 40\n");
        String msg = assertThrows(ConfigException.class, () -> ConfigLoader.load(yaml.toFile(), List.of())).getMessage();
        assertTrue(msg.contains("did you mean train.steps?"), msg);
        Files.writeString(yaml, "train: [unclosed\n");
        msg = assertThrows(ConfigException.class, () -> ConfigLoader.load(yaml.toFile(), List.of())).getMessage();
        assertTrue(msg.contains("not valid YAML"), msg);
    }

    @Test
    void everyShippedConfigLoads() throws IOException {
        File confDir = new File("../conf");
        File[] files = confDir.listFiles((d, n) -> n.endsWith(".conf"));
        assertTrue(files != null && files.length >= 8, "conf/ holds tiny, small and one file per optimizer");
        for (File f : files) {
            SpindleConfig c = ConfigLoader.load(f, List.of());
            assertEquals(f.getName().replace(".conf", ""), c.run().name(), f + " names its run after itself");
        }
        assertEquals("hybrid-auon", ConfigLoader.load(new File(confDir, "optim-hybrid-auon.conf"), List.of())
                .optim().name());
        assertEquals(2, ConfigLoader.load(new File(confDir, "tiny-dp2.conf"), List.of()).parallel().dp());
    }

    @Test
    void optimizerChoiceIsValidated() throws IOException {
        String msg = error("optim.name = sgd");
        assertTrue(msg.contains("optim.name") && msg.contains("normuon"), msg);
        assertTrue(error("optim.momentum = 1.5").contains("optim.momentum"));
        SpindleConfig c = ConfigLoader.load(write("optim { name = muon, matrixLrScale = 4 }"), List.of());
        assertEquals("muon", c.optim().name());
        assertEquals(4.0, c.optim().matrixLrScale());
        assertEquals(StateFormat.DENSE, c.optim().stateFormat());
    }

    @Test
    void theMatrixGroupFollowsTheRunsScheduleByDefault() throws IOException {
        SpindleConfig c = ConfigLoader.load(write("optim { name = muon, matrixLrScale = 40 }"), List.of());
        assertEquals(-1, c.optim().matrixWarmupSteps());
        assertEquals(-1.0, c.optim().matrixFinalLrFraction());
        assertEquals(GroupLearningRate.scaled(40.0), c.optim().matrixLearningRate(c.train()));
    }

    @Test
    void theMatrixGroupTakesItsOwnWarmupAndFinalFraction() throws IOException {
        SpindleConfig c = ConfigLoader.load(write("train { steps = 100, lr = 1e-3, warmupSteps = 50 }\n"
                + "optim { name = muon, matrixLrScale = 40, matrixWarmupSteps = 10, matrixFinalLrFraction = 0.25 }"),
                List.of());
        assertEquals(10, c.optim().matrixWarmupSteps());
        assertEquals(0.25, c.optim().matrixFinalLrFraction());
        GroupLearningRate lr = c.optim().matrixLearningRate(c.train());
        // peak 1e-3 x 40 = 0.04 at step 10 (the run's warmup is 50), 0.01 from step 100 on
        assertEquals(0.004, lr.at(1, 2e-5), 1e-15);
        assertEquals(0.04, lr.at(10, 2e-4), 1e-15);
        assertEquals(0.01 + 0.03 * (1 + Math.cos(Math.PI * 45 / 90)) / 2, lr.at(55, 1e-3), 1e-15);
        assertEquals(0.01, lr.at(100, 1e-4), 1e-15);
        SpindleConfig set = ConfigLoader.load(write("optim.name = muon"),
                List.of("optim.matrixWarmupSteps=0", "optim.matrixFinalLrFraction=1"));
        assertEquals(0, set.optim().matrixWarmupSteps());
        assertEquals(1.0, set.optim().matrixFinalLrFraction());
        assertEquals(set.optim(), ConfigLoader.fromText(set.resolvedText()).optim(), "the keys survive the resolved text");
    }

    @Test
    void badMatrixScheduleValuesNameTheKeyAndTheFix() throws IOException {
        String longWarmup = error("train.steps = 100\noptim { name = muon, matrixWarmupSteps = 101 }");
        assertTrue(longWarmup.contains("optim.matrixWarmupSteps=101") && longWarmup.contains("train.steps=100")
                && longWarmup.contains("at most 100"), longWarmup);
        // checked whichever optimizer is chosen, so switching optim.name later cannot surface it
        assertTrue(error("train.steps = 100\noptim.matrixWarmupSteps = 500").contains("optim.matrixWarmupSteps=500"));
        String negative = error("optim.matrixWarmupSteps = -2");
        assertTrue(negative.contains("optim.matrixWarmupSteps=-2") && negative.contains("-1"), negative);
        for (String bad : List.of("1.5", "-0.5")) {
            String msg = error("optim.matrixFinalLrFraction = " + bad);
            assertTrue(msg.contains("optim.matrixFinalLrFraction=" + bad) && msg.contains("[0, 1]"), msg);
        }
        String type = error("optim.matrixWarmupSteps = 2.5");
        assertTrue(type.contains("optim.matrixWarmupSteps") && type.contains("whole number"), type);
    }

    @Test
    void coatStateIsChosenWithItsGroupSize() throws IOException {
        SpindleConfig c = ConfigLoader.load(write("optim { state = coat, coatGroupSize = 64 }"), List.of());
        assertEquals(StateFormat.coat(64), c.optim().stateFormat());
        String msg = error("optim.state = fp4");
        assertTrue(msg.contains("optim.state") && msg.contains("coat"), msg);
        assertTrue(error("optim.coatGroupSize = 0").contains("optim.coatGroupSize"));
    }

    @Test
    void offloadIsOffByDefaultAndTakesABudgetAndADirectory() throws IOException {
        SpindleConfig off = ConfigLoader.load(write("optim { name = adamw }"), List.of());
        assertEquals(false, off.optim().offload().enabled());
        SpindleConfig c = ConfigLoader.load(write("optim.offload { enabled = true, memoryBudget = 64m, dir = /scratch }"),
                List.of());
        assertEquals(OffloadConfig.of(64L << 20, "/scratch"), c.optim().offload());
        String msg = error("optim.offload.memoryBudget = lots");
        assertTrue(msg.contains("optim.offload.memoryBudget") && msg.contains("256m"), msg);
        assertTrue(error("optim.offload.memoryBudget = 100").contains("optim.offload.memoryBudget"));
    }

    @Test
    void didYouMeanIgnoresFarAwayKeys() {
        assertTrue(DidYouMean.closest("completely.different.thing", List.of("train.steps")).isEmpty());
        assertEquals(3, DidYouMean.distance("kitten", "sitting"));
    }
}
