package io.spindle.spark.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.spindle.spark.SpindleMain;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The train command end to end on an embedded local Spark: data preparation, the barrier stage,
 * live metrics, checkpoints on a file:// Hadoop FileSystem, refusal to overwrite, and --resume.
 */
class TrainJobTest {
    @TempDir
    static Path dir;
    static Path conf;

    @BeforeAll
    static void corpus() throws IOException {
        StringBuilder text = new StringBuilder();
        String[] lines = {"It is a truth universally acknowledged, that a single man in possession of a good fortune,",
                "must be in want of a wife.", "However little known the feelings or views of such a man may be",
                "on his first entering a neighbourhood, this truth is so well fixed in the minds of the surrounding",
                "families, that he is considered the rightful property of some one or other of their daughters."};
        for (int p = 0; p < 400; p++) {
            text.append(lines[p % lines.length]).append(' ').append(lines[(p * 7) % lines.length]).append("\n\n");
        }
        Files.writeString(dir.resolve("corpus.txt"), text.toString());
        conf = dir.resolve("test.conf");
        Files.writeString(conf, String.join("\n",
                "run.name = t",
                "run.dir = \"" + dir.resolve("run").toUri() + "\"",
                "data.source = [\"" + dir.resolve("corpus.txt").toUri() + "\"]",
                "data.validationFraction = 0.1",
                "model { dModel = 32, layers = 1, heads = 2, ffnHidden = 64, maxSeq = 32 }",
                "train { steps = 12, batch = 4, seq = 32, warmupSteps = 2, evalEvery = 6, evalBatches = 2,",
                "        checkpointEvery = 6, logEvery = 3 }",
                "generate.tokens = 20",
                "spark.master = \"local[2]\""));
    }

    private static int run(ByteArrayOutputStream out, String... args) {
        PrintStream saved = System.out;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            return SpindleMain.execute(args);
        } finally {
            System.setOut(saved);
        }
    }

    private static List<Map<String, Object>> metrics() throws IOException {
        return metrics("run");
    }

    private static List<Map<String, Object>> metrics(String runDir) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<Map<String, Object>> rows = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve(runDir + "/metrics.jsonl"))) {
            rows.add(json.readValue(line, Map.class));
        }
        return rows;
    }

    @Test
    void trainsRefusesToOverwriteAndResumes() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(0, run(out, "train", conf.toString()), out.toString());
        String printed = out.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("Validation loss") && printed.contains("Sample (step 12"), printed);
        assertTrue(Files.exists(dir.resolve("run/config.resolved.conf")));
        assertTrue(Files.exists(dir.resolve("run/checkpoints/step-12/manifest.json")));
        assertTrue(Files.exists(dir.resolve("run/data/dataset.json")));
        try (var events = Files.list(dir.resolve("run/tensorboard"))) {
            // Hadoop's local FileSystem adds hidden .crc files beside what it writes
            List<java.nio.file.Path> files = events.filter(f -> !f.getFileName().toString().startsWith(".")).toList();
            assertEquals(1, files.size(), "one TensorBoard event file per driver session: " + files);
            assertTrue(files.get(0).getFileName().toString().startsWith("events.out.tfevents."));
            // version record plus 12 training rows and 3 validation rows, each record >= 16 bytes of framing
            assertTrue(Files.size(files.get(0)) > 16 * 16, "event file holds the scalars");
        }
        List<Map<String, Object>> rows = metrics();
        assertEquals(12, rows.stream().filter(r -> r.containsKey("loss")).count());
        assertEquals(3, rows.stream().filter(r -> r.containsKey("val_loss")).count(), "steps 0, 6 and 12");

        ByteArrayOutputStream again = new ByteArrayOutputStream();
        assertEquals(2, run(again, "train", conf.toString()), "a second run into the same directory is refused");
        assertTrue(Files.exists(dir.resolve("run/checkpoints/step-12/manifest.json")), "nothing was deleted");

        ByteArrayOutputStream resumed = new ByteArrayOutputStream();
        assertEquals(0, run(resumed, "train", conf.toString(), "--resume", "--set", "train.steps=18", "--no-sample"),
                resumed.toString());
        List<Map<String, Object>> after = metrics();
        assertTrue(after.stream().anyMatch(r -> "resume".equals(r.get("event"))));
        List<Long> newSteps = after.subList(rows.size(), after.size()).stream().filter(r -> r.containsKey("loss"))
                .map(r -> ((Number) r.get("step")).longValue()).toList();
        assertEquals(List.of(13L, 14L, 15L, 16L, 17L, 18L), newSteps);
        try (var events = Files.list(dir.resolve("run/tensorboard"))) {
            assertEquals(2, events.filter(f -> !f.getFileName().toString().startsWith(".")).count(),
                    "the resumed session wrote its own event file");
        }

        ByteArrayOutputStream eval = new ByteArrayOutputStream();
        assertEquals(0, run(eval, "eval", dir.resolve("run").toString()), eval.toString());
        assertTrue(eval.toString().contains("val_loss") && eval.toString().contains("step 18,")
                && eval.toString().contains(" parameters)"), eval.toString());

        ByteArrayOutputStream report = new ByteArrayOutputStream();
        assertEquals(0, run(report, "report", dir.resolve("run").toString()), report.toString());
        assertTrue(report.toString().contains("| run | 18 |"), report.toString());
        for (String f : List.of("loss.png", "throughput.png", "summary.md")) {
            assertTrue(Files.size(dir.resolve("run/report").resolve(f)) > 0, f);
        }

        ByteArrayOutputStream gen = new ByteArrayOutputStream();
        assertEquals(0, run(gen, "generate", dir.resolve("run").toString(), "--prompt", "It is", "--tokens", "10"));
        assertTrue(gen.toString().startsWith("It is"), gen.toString());
    }

    private static double[] losses(List<Map<String, Object>> rows) {
        return rows.stream().filter(r -> r.containsKey("loss")).mapToDouble(r -> ((Number) r.get("loss")).doubleValue())
                .toArray();
    }

    private static final String[] EIGHT_STEPS = {"--set", "train.steps=8", "--set", "train.checkpointEvery=8",
            "--set", "train.evalEvery=8", "--no-sample"};
    private static double[] oneRank;

    /** The per-step losses of the one-rank run the parallel runs are compared with (run once). */
    private static synchronized double[] oneRankLosses() throws IOException {
        if (oneRank == null) {
            ByteArrayOutputStream one = new ByteArrayOutputStream();
            assertEquals(0, run(one, concat(new String[]{"train", conf.toString(), "--set",
                    "run.dir=\"" + dir.resolve("dp1").toUri() + "\""}, EIGHT_STEPS)), one.toString());
            oneRank = losses(metrics("dp1"));
        }
        return oneRank;
    }

    /** Runs 8 steps into {@code runDir} with {@code settings} and checks its losses against one rank's. */
    private static List<Map<String, Object>> trainsLikeOneRank(String runDir, String label, int ranks, String... settings)
            throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(0, run(out, concat(concat(new String[]{"train", conf.toString(), "--set",
                "run.dir=\"" + dir.resolve(runDir).toUri() + "\""}, settings), EIGHT_STEPS)), out.toString());
        assertTrue(out.toString().contains(ranks + " rank(s)"), out.toString());
        assertTrue(Files.exists(dir.resolve(runDir + "/checkpoints/step-8/manifest.json")));
        List<Map<String, Object>> rows = metrics(runDir);
        double[] expected = oneRankLosses();
        double[] actual = losses(rows);
        assertEquals(8, actual.length, "one row per step, from rank 0 only");
        double maxRelative = 0;
        for (int i = 0; i < actual.length; i++) {
            assertEquals(expected[i], actual[i], 1e-5 * expected[i], "loss of step " + (i + 1));
            maxRelative = Math.max(maxRelative, Math.abs(actual[i] - expected[i]) / expected[i]);
        }
        System.out.printf("spark %s vs one rank: max relative loss difference %.3g over %d steps%n", label, maxRelative,
                actual.length);
        assertEquals(2, rows.stream().filter(r -> r.containsKey("val_loss")).count(), "steps 0 and 8, rank 0 only");
        return rows;
    }

    /** Two ranks on local[2] joined by the authenticated TCP ring train like one rank with the same global batch. */
    @Test
    void twoDataParallelRanksTrainLikeOneRank() throws IOException {
        trainsLikeOneRank("dp2", "DP=2", 2, "--set", "parallel.dp=2");
    }

    /** Two tensor-parallel ranks on local[2], each holding half of every split matrix, train like one rank. */
    @Test
    void twoTensorParallelRanksTrainLikeOneRank() throws IOException {
        trainsLikeOneRank("tp2", "TP=2", 2, "--set", "parallel.tp=2");
    }

    /**
     * The same with each rank's AdamW state and master weights offloaded to its own scratch file
     * (Fuyou). A rank's slices hold about 160 KiB of it and the window's frames 64 KiB (a third of
     * 192k; the largest slice, half the embedding, needs 50), so every step streams several chunks.
     */
    @Test
    void twoTensorParallelRanksWithOffloadedStateTrainLikeOneRank() throws IOException {
        trainsLikeOneRank("tp2-offload", "TP=2 + offload", 2, "--set", "parallel.tp=2", "--set",
                "optim.offload.enabled=true", "--set", "optim.offload.memoryBudget=\"192k\"", "--set",
                "optim.offload.dir=\"" + dir.resolve("offload-scratch") + "\"");
        try (var scratch = Files.list(dir.resolve("offload-scratch"))) {
            assertEquals(0, scratch.count(), "the ranks delete their scratch files when the run ends");
        }
    }

    /**
     * Multi-head latent attention split by heads over two TP ranks on local[2] follows its one-rank
     * run, and its checkpoint (whole tensors) decodes in MLA's cached-latent form.
     */
    @Test
    void latentAttentionSplitByHeadsOnTwoRanksTrainsLikeOneRank() throws IOException {
        double[][] losses = {lossesAt("mla-tp", 1, "model.attention=mla"), lossesAt("mla-tp", 2, "model.attention=mla")};
        assertEquals(8, losses[1].length);
        double maxRelative = 0;
        for (int i = 0; i < 8; i++) {
            assertEquals(losses[0][i], losses[1][i], 1e-5 * losses[0][i], "MLA loss of step " + (i + 1));
            maxRelative = Math.max(maxRelative, Math.abs(losses[1][i] - losses[0][i]) / losses[0][i]);
        }
        System.out.printf("spark MLA TP=2 vs one rank: max relative loss difference %.3g over 8 steps%n", maxRelative);
        ByteArrayOutputStream gen = new ByteArrayOutputStream();
        assertEquals(0, run(gen, "generate", dir.resolve("mla-tp2").toString(), "--prompt", "It is", "--tokens", "10"),
                gen.toString());
        assertTrue(gen.toString().startsWith("It is"), gen.toString());
    }

    /**
     * MLA trained in TPLA's sequence form, its two latent shards split over two TP ranks on local[2],
     * follows the same model on one rank.
     */
    @Test
    void tplaSequenceFormSplitByLatentShardsOnTwoRanksTrainsLikeOneRank() throws IOException {
        String[] tplaForm = {"model.attention=mla", "model.mla.tplaShards=2", "model.mla.sequenceForm=tpla"};
        double[][] losses = {lossesAt("tpla-form-tp", 1, tplaForm), lossesAt("tpla-form-tp", 2, tplaForm)};
        double maxRelative = 0;
        for (int i = 0; i < 8; i++) maxRelative = Math.max(maxRelative, Math.abs(losses[1][i] - losses[0][i]) / losses[0][i]);
        System.out.printf("spark TPLA-form TP=2 vs one rank: max relative loss difference %.3g over 8 steps%n", maxRelative);
        assertTrue(maxRelative <= 1e-5, "TPLA form over two ranks follows one rank: " + maxRelative);
    }

    /**
     * Each variant or optimizer split over two TP ranks on local[2] follows one rank: GR-KAN by hidden
     * groups, S4D by channels, MASA's atoms like their projections, MatFormer (H/4, H/2, H jointly)
     * by hidden neurons, Muon with each sliced matrix gathered whole, LAMB with each slice's norms
     * completed over the ranks.
     */
    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', value = {
            "grkan-tp     | GR-KAN    | model.ffn=gr-kan",
            "s4d-tp       | S4D       | model.mixers=[s4d]",
            "masa-tp      | MASA      | model.masa.atoms=1",
            "matformer-tp | MatFormer | model.matformer.divisors=[4, 2, 1]",
            "muon-tp      | Muon      | optim.name=muon",
            "lamb-tp      | LAMB      | optim.name=lamb"})
    void splitOverTwoTensorParallelRanksTrainsLikeOneRank(String runDir, String label, String setting) throws IOException {
        twoRanksFollowOne(runDir, label, setting);
    }

    /**
     * A TPLA model's ranks as the two tasks of a Spark barrier stage on the TCP ring sample the same
     * text as its ranks as threads of this JVM (same checkpoint, prompt and seed): with two ranks each
     * all-reduce adds the same two partials in either order, so every logit is the same float.
     */
    @Test
    void tplaDecodingWithItsRanksAsSparkTasksEqualsThreads() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(0, run(out, concat(new String[]{"train", conf.toString(), "--set", "model.attention=mla", "--set",
                "run.dir=\"" + dir.resolve("mla-decode").toUri() + "\""}, EIGHT_STEPS)), out.toString());
        assertEquals(0, run(out, "convert", dir.resolve("mla-decode").toString(), "--to", "tpla", "--tp", "2", "--out",
                dir.resolve("tpla-decode").toString()), out.toString());
        String[] generate = {"generate", dir.resolve("tpla-decode").toString(), "--prompt", "It is", "--tokens", "24",
                "--seed", "7"};
        ByteArrayOutputStream threads = new ByteArrayOutputStream();
        assertEquals(0, run(threads, generate), threads.toString());
        ByteArrayOutputStream tasks = new ByteArrayOutputStream();
        assertEquals(0, run(tasks, concat(generate, new String[]{"--spark"})), tasks.toString());
        String text = threads.toString().strip();
        assertTrue(text.startsWith("It is") && text.length() > "It is".length(), text);
        assertEquals(text, tasks.toString().strip(), "TPLA over Spark tasks samples what TPLA over threads does");

        ByteArrayOutputStream notTpla = new ByteArrayOutputStream();
        assertEquals(2, run(notTpla, "generate", dir.resolve("mla-decode").toString(), "--spark"),
                "an MLA model not converted to TPLA is refused");
    }

    /** TP=2 on local[2] with {@code setting} repeats TP=1's 8 losses within 1e-5 relative. */
    private static void twoRanksFollowOne(String runDir, String label, String setting) throws IOException {
        double[] one = lossesAt(runDir, 1, setting);
        double[] two = lossesAt(runDir, 2, setting);
        for (int i = 0; i < 8; i++) assertEquals(one[i], two[i], 1e-5 * one[i], label + " loss of step " + (i + 1));
    }

    /** The 8 steps' losses of a run into {@code runDir + tp} at parallel.tp = {@code tp} with {@code settings}. */
    private static double[] lossesAt(String runDir, int tp, String... settings) throws IOException {
        List<String> args = new ArrayList<>(List.of("train", conf.toString(), "--set", "parallel.tp=" + tp, "--set",
                "run.dir=\"" + dir.resolve(runDir + tp).toUri() + "\""));
        for (String setting : settings) args.addAll(List.of("--set", setting));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(0, run(out, concat(args.toArray(String[]::new), EIGHT_STEPS)), out.toString());
        assertTrue(out.toString().contains(tp + " rank(s)"), out.toString());
        return losses(metrics(runDir + tp));
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void aLocalMasterWithFewerThreadsThanRanksIsRefusedBeforeAnyWork() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(2, run(out, "train", conf.toString(), "--set", "spark.master=\"local[1]\"", "--set", "parallel.dp=2",
                "--set", "run.dir=\"" + dir.resolve("slots").toUri() + "\""));
        assertFalse(Files.exists(dir.resolve("slots/checkpoints")));
        assertFalse(Files.exists(dir.resolve("slots/data")), "no data was prepared");
    }

    @Test
    void badConfigExitsWithTwoBeforeAnySparkWork() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(2, run(out, "train", conf.toString(), "--set", "train.stpes=3"));
        assertEquals(2, run(out, "train", dir.resolve("missing.conf").toString()));
        assertEquals(2, run(out, "train", conf.toString(), "--set", "parallel.dp=3"), "train.batch=4 is not divisible by 3");
        assertEquals(2, run(out, "eval", dir.resolve("no-such-run").toString()));
        assertFalse(Files.exists(dir.resolve("no-such-run")));
    }
}
