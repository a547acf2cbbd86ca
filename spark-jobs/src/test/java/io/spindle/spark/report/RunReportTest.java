package io.spindle.spark.report;

import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RunReportTest {
    private static RunMetrics run(int steps, double finalLoss) throws IOException {
        StringBuilder text = new StringBuilder(RunMetricsTest.val(0, 5.5));
        for (int s = 1; s <= steps; s++) text.append(RunMetricsTest.step(s, 5.5 - (5.5 - finalLoss) * s / steps));
        text.append(RunMetricsTest.val(steps, finalLoss + 0.1)).append("{\"event\":\"checkpoint\",\"step\":").append(steps)
                .append("}\n");
        return RunMetrics.read(new StringReader(text.toString()), "m");
    }

    @Test
    void theSummaryRowSaysWhatTheRunDid() throws IOException {
        String table = RunReport.summaryTable(List.of(new RunReport.Named("tiny", run(20, 2.0))));
        String row = table.lines().filter(l -> l.startsWith("| tiny ")).findFirst().orElseThrow();
        String[] cells = row.split("\\|");
        assertEquals("20", cells[2].strip());
        // mean training loss of steps 11..20 of a straight line from 5.5 to 2.0
        assertEquals(String.format(java.util.Locale.ROOT, "%.4f", 5.5 - 3.5 * 15.5 / 20), cells[3].strip());
        assertEquals("2.1000", cells[4].strip());
        assertEquals("2.1000 (20)", cells[6].strip());
        assertEquals("1,011", cells[7].strip(), "median tokens/s of 1001..1020 is 1010.5");
        assertEquals("step 20", cells[10].strip());
    }

    @Test
    void movingMeanAveragesTheWindowEndingAtEachStepAndSkipsNaN() {
        assertArrayEquals(new double[] {1, 1.5, 2.5, 3.5}, RunReport.movingMean(new double[] {1, 2, 3, 4}, 2), 1e-12);
        assertArrayEquals(new double[] {1, 1, 3}, RunReport.movingMean(new double[] {1, Double.NaN, 3}, 2), 1e-12);
    }

    @Test
    void chartsOfSeveralRunsRenderToPng() throws IOException {
        List<RunReport.Named> runs = List.of(new RunReport.Named("a", run(30, 2.0)), new RunReport.Named("b", run(30, 2.5)));
        for (LineChart chart : List.of(RunReport.lossChart(runs), RunReport.throughputChart(runs))) {
            byte[] png = chart.png(640, 400);
            assertNotNull(ImageIO.read(new ByteArrayInputStream(png)));
            assertTrue(png.length > 1000);
        }
    }
}
