package io.spindle.spark.report;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.StringReader;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RunMetricsTest {
    static String step(long step, double loss) {
        return "{\"step\":" + step + ",\"loss\":" + loss + ",\"lr\":0.001,\"tokens\":1024,\"tokens_per_s\":" + (1000 + step)
                + ",\"grad_norm\":1.5,\"step_ms\":" + (100 + step) + "}\n";
    }

    static String val(long step, double loss) {
        return "{\"step\":" + step + ",\"val_loss\":" + loss + ",\"val_bpb\":" + loss * 1.4427 + "}\n";
    }

    @Test
    void aResumedRunKeepsTheLaterRowOfARepeatedStep() throws IOException {
        String text = "{\"event\":\"start\",\"step\":0}\n" + val(0, 5.5) + step(1, 5.4) + step(2, 5.0)
                + "{\"event\":\"checkpoint\",\"step\":2}\n" + step(3, 9.9)
                + "{\"event\":\"resume\",\"step\":2}\n" + step(3, 4.5) + val(3, 4.6);
        RunMetrics m = RunMetrics.read(new StringReader(text), "metrics.jsonl");
        assertEquals(List.of(1L, 2L, 3L), m.train().stream().map(RunMetrics.TrainRow::step).toList());
        assertEquals(4.5, m.train().get(2).loss());
        assertEquals(103.0, m.train().get(2).stepMs());
        assertEquals(2, m.validation().size());
        assertEquals(4.6, m.validation().get(1).loss());
        assertEquals(1, m.count("resume"));
        assertEquals(0, m.count("relaunch"));
        assertEquals(2, m.lastCheckpoint());
    }

    @Test
    void aLastLineCutOffByAKilledDriverIsSkipped() throws IOException {
        RunMetrics m = RunMetrics.read(new StringReader(step(1, 5.0) + "{\"step\":2,\"lo"), "m");
        assertEquals(1, m.train().size());
    }

    @Test
    void aBrokenLineInTheMiddleIsRefusedWithItsNumber() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RunMetrics.read(new StringReader(step(1, 5.0) + "not json\n" + step(2, 4.0)), "runs/x/metrics.jsonl"));
        assertTrue(e.getMessage().contains("runs/x/metrics.jsonl line 2"), e.getMessage());
    }
}
