package io.spindle.spark.api;

import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RunMetricsTest {
    @TempDir
    Path dir;

    @Test
    void readsCurvesAndTheLaterRowOfARepeatedStepWins() throws Exception {
        // A run that resumed from the checkpoint of step 2: steps 3 and 4 are logged twice.
        Files.writeString(dir.resolve("metrics.jsonl"), String.join("\n",
                "{\"event\":\"start\",\"step\":0}",
                "{\"step\":0,\"val_loss\":5.5,\"val_bpb\":8.0,\"val_ppl\":244.7}",
                "{\"step\":1,\"loss\":5.4,\"lr\":0.001}",
                "{\"step\":2,\"loss\":5.0,\"lr\":0.001}",
                "{\"step\":3,\"loss\":4.9,\"lr\":0.001}",
                "{\"step\":4,\"loss\":4.8,\"lr\":0.001}",
                "{\"event\":\"resume\",\"step\":2}",
                "{\"step\":3,\"loss\":4.7,\"lr\":0.001}",
                "{\"step\":4,\"loss\":4.6,\"lr\":0.001}",
                "{\"step\":4,\"val_loss\":4.5,\"val_bpb\":6.5,\"val_ppl\":90.0}",
                ""));
        RunMetrics m = RunMetrics.read(dir.toUri().toString(), "r", new Configuration());
        assertArrayEquals(new double[] {1, 2, 3, 4}, m.trainingLoss().x());
        assertArrayEquals(new double[] {5.4, 5.0, 4.7, 4.6}, m.trainingLoss().y());
        assertArrayEquals(new double[] {0, 4}, m.validationLoss().x());
        assertEquals(4.5, m.lastValidationLoss());
        assertEquals(4, m.lastStep());
        assertEquals("r train", m.trainingLoss().name());
        BufferedImage chart = m.lossChart();
        assertEquals(720, chart.getWidth());
        assertEquals(400, chart.getHeight());
    }

    @Test
    void aDirectoryWithoutMetricsIsNamedInTheError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RunMetrics.read(dir.toUri().toString(), "r", new Configuration()));
        assertTrue(e.getMessage().contains("metrics.jsonl does not exist"), e.getMessage());
    }
}
