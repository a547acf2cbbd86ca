package io.spindle.spark.report;

import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LineChartTest {
    private static final int BLUE = 0x0072B2;
    private static final int VERMILLION = 0xD55E00;

    @Test
    void pngDecodesToTheRequestedSizeWithEachLineInItsColorAndDirection() throws IOException {
        double[] x = new double[31];
        double[] down = new double[31];
        double[] up = new double[31];
        for (int i = 0; i <= 30; i++) {
            x[i] = i * 10;
            down[i] = 5.5 - 0.1 * i;
            up[i] = 2.5 + 0.1 * i;
        }
        byte[] png = new LineChart("validation loss", "step", "loss (nats/token)")
                .add(new LineChart.Series("falls", x, down))
                .add(new LineChart.Series("rises", x, up))
                .png(800, 500);
        assertEquals(0x89, png[0] & 0xFF);
        assertEquals('P', png[1]);
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
        assertNotNull(image, "ImageIO could not decode the PNG");
        assertEquals(800, image.getWidth());
        assertEquals(500, image.getHeight());
        assertEquals(0xFFFFFF, image.getRGB(0, 0) & 0xFFFFFF, "background is white");
        // The legend sits in the right third; the left and middle thirds hold only the lines.
        double fallsLeft = meanRow(image, BLUE, 0, 266);
        double fallsMiddle = meanRow(image, BLUE, 266, 533);
        double risesLeft = meanRow(image, VERMILLION, 0, 266);
        double risesMiddle = meanRow(image, VERMILLION, 266, 533);
        assertTrue(fallsLeft < fallsMiddle, "a falling line is higher on the left: " + fallsLeft + " vs " + fallsMiddle);
        assertTrue(risesLeft > risesMiddle, "a rising line is lower on the left: " + risesLeft + " vs " + risesMiddle);
    }

    @Test
    void nonFinitePointsBreakTheLine() throws IOException {
        double[] x = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        double[] y = {1, 1, 1, 1, Double.NaN, Double.NaN, Double.NaN, 1, 1, 1, 1};
        BufferedImage whole = ImageIO.read(new ByteArrayInputStream(new LineChart("t", "x", "y")
                .add(new LineChart.Series("s", x, new double[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1})).png(600, 400)));
        BufferedImage gap = ImageIO.read(new ByteArrayInputStream(new LineChart("t", "x", "y")
                .add(new LineChart.Series("s", x, y)).png(600, 400)));
        // The plot spans x = 70..580 px for x = 0..10, so x = 5 is at 325 px.
        assertTrue(countInColumns(whole, BLUE, 320, 330) > 0);
        assertEquals(0, countInColumns(gap, BLUE, 320, 330));
        assertTrue(countInColumns(gap, BLUE, 70, 200) > 0);
    }

    @Test
    void axesStepByOneTwoOrFiveTimesAPowerOfTen() {
        LineChart.Axis a = LineChart.Axis.of(1.23, 4.56);
        assertEquals(0.5, a.step(), 1e-12);
        assertEquals(1.0, a.min(), 1e-12);
        assertEquals(5.0, a.max(), 1e-12);
        assertEquals(9, a.ticks().size());
        assertEquals("1.5", a.format(1.5));
        assertEquals(List.of(0.0, 50.0, 100.0, 150.0, 200.0, 250.0, 300.0), LineChart.Axis.of(0, 300).ticks());
        assertEquals("300", LineChart.Axis.of(0, 300).format(300));
        assertEquals(0.02, LineChart.Axis.niceStep(0.017), 1e-12);
        LineChart.Axis exact = LineChart.Axis.exact(1.3, 2.2);
        assertEquals(1.3, exact.min());
        assertEquals(List.of(1.4, 1.6, 1.8, 2.0, 2.2), exact.ticks().stream().map(v -> Math.round(v * 10) / 10.0).toList());
    }

    @Test
    void rejectsWhatItCannotDraw() {
        assertThrows(IllegalArgumentException.class, () -> new LineChart.Series("s", new double[2], new double[3]));
        LineChart empty = new LineChart("t", "x", "y").add(new LineChart.Series("s", new double[] {1}, new double[] {Double.NaN}));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> empty.png(400, 300)).getMessage().contains("no finite point"));
        LineChart ok = new LineChart("t", "x", "y").add(new LineChart.Series("s", new double[] {1, 2}, new double[] {1, 2}));
        assertThrows(IllegalArgumentException.class, () -> ok.png(50, 50));
        assertThrows(IllegalArgumentException.class, () -> ok.yRange(2, 1));
        LineChart full = new LineChart("t", "x", "y");
        for (int i = 0; i < 8; i++) full.add(new LineChart.Series("s" + i, new double[] {1}, new double[] {1}));
        assertThrows(IllegalArgumentException.class, () -> full.add(new LineChart.Series("one more", new double[] {1}, new double[] {1})));
    }

    private static double meanRow(BufferedImage image, int rgb, int x0, int x1) {
        long sum = 0;
        long count = 0;
        for (int x = x0; x < x1; x++) {
            for (int y = 0; y < image.getHeight(); y++) {
                if ((image.getRGB(x, y) & 0xFFFFFF) == rgb) {
                    sum += y;
                    count++;
                }
            }
        }
        assertTrue(count > 20, "color " + Integer.toHexString(rgb) + " barely drawn in columns " + x0 + ".." + x1);
        return (double) sum / count;
    }

    private static int countInColumns(BufferedImage image, int rgb, int x0, int x1) {
        int count = 0;
        for (int x = x0; x < x1; x++) {
            for (int y = 0; y < image.getHeight(); y++) {
                if ((image.getRGB(x, y) & 0xFFFFFF) == rgb) count++;
            }
        }
        return count;
    }
}
