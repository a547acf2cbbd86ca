package io.spindle.spark.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.spindle.spark.SpindleMain;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * CoLM's progressive scaling end to end: train a two-chain model, grow it to three chains with
 * {@code spindle extract --grow}, and train on from it with {@code run.initFrom}. Growth keeps the
 * model's function, so the new run's first validation equals the old run's last one.
 */
class GrowAndContinueTest {
    @TempDir
    Path dir;

    private double valLoss(String run, boolean last) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<Double> losses = new java.util.ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve(run).resolve("metrics.jsonl"))) {
            Map<?, ?> row = json.readValue(line, Map.class);
            if (row.containsKey("val_loss")) losses.add(((Number) row.get("val_loss")).doubleValue());
        }
        return last ? losses.get(losses.size() - 1) : losses.get(0);
    }

    @Test
    void aGrownCoLMContinuesFromTheTrainedOne() throws IOException {
        StringBuilder text = new StringBuilder();
        for (int p = 0; p < 300; p++) text.append("It is a truth universally acknowledged, paragraph ").append(p).append(".\n\n");
        Files.writeString(dir.resolve("corpus.txt"), text.toString());
        String common = String.join("\n",
                "data.source = [\"" + dir.resolve("corpus.txt").toUri() + "\"]",
                "data.validationFraction = 0.1",
                "data.prepared = \"" + dir.resolve("data").toUri() + "\"",
                "train { steps = 4, batch = 4, seq = 16, warmupSteps = 1, evalEvery = 4, evalBatches = 2, checkpointEvery = 4 }",
                "spark.master = \"local[2]\"");
        Path small = dir.resolve("small.conf");
        Files.writeString(small, common + "\nrun.name = small\nrun.dir = \"" + dir.resolve("small").toUri() + "\"\n"
                + "model { dModel = 32, layers = 1, heads = 2, ffnHidden = 64, maxSeq = 16, colm.chains = [16, 16] }");
        assertEquals(0, SpindleMain.execute("train", small.toString(), "--no-sample"));
        assertEquals(0, SpindleMain.execute("extract", dir.resolve("small").toString(), "--grow", "16",
                "--out", dir.resolve("grown").toString()));
        assertEquals(0, SpindleMain.execute("train", dir.resolve("grown").resolve("config.resolved.conf").toString(),
                "--set", "run.name=bigger", "--set", "run.dir=\"" + dir.resolve("bigger").toUri() + "\"",
                "--set", "run.initFrom=\"" + dir.resolve("grown") + "\"", "--no-sample"));
        assertEquals(valLoss("small", true), valLoss("bigger", false), 1e-4);
    }
}
