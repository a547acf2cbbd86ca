package io.spindle.spark.report;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A line chart of a few series (loss curves) drawn with Java2D into a PNG: axes with round tick
 * values, a light grid, a title, axis labels and a legend. It needs no display (Java2D draws into
 * a {@link BufferedImage}; only fonts must be installed), so it runs on a headless cluster node.
 *
 * <p>Points whose x or y is NaN or infinite are skipped and break the line there. The axes span
 * the finite data, or {@link #yRange} when set (points outside it are clipped).
 */
public final class LineChart {
    /** Okabe–Ito colors: distinguishable with the common forms of color blindness and in grey. */
    private static final Color[] PALETTE = {
        new Color(0x0072B2), new Color(0xD55E00), new Color(0x009E73), new Color(0xCC79A7),
        new Color(0xE69F00), new Color(0x56B4E9), new Color(0x000000), new Color(0xF0E442)};
    private static final int MARGIN_LEFT = 70;
    private static final int MARGIN_RIGHT = 20;
    private static final int MARGIN_TOP = 40;
    private static final int MARGIN_BOTTOM = 55;

    /** One named line; {@code x} and {@code y} have the same length. */
    public record Series(String name, double[] x, double[] y) {
        public Series {
            if (name == null || x == null || y == null || x.length != y.length) {
                throw new IllegalArgumentException("series '" + name + "' needs x and y of equal length, got "
                        + (x == null ? "null" : x.length) + " and " + (y == null ? "null" : y.length));
            }
            x = x.clone();
            y = y.clone();
        }
    }

    private final String title;
    private final String xLabel;
    private final String yLabel;
    private final List<Series> series = new ArrayList<>();
    private double yMin = Double.NaN;
    private double yMax = Double.NaN;

    public LineChart(String title, String xLabel, String yLabel) {
        this.title = title;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
    }

    /** Adds a line; colors follow the order of adding. */
    public LineChart add(Series s) {
        if (series.size() == PALETTE.length) {
            throw new IllegalArgumentException("a chart holds at most " + PALETTE.length
                    + " series (one color each); split '" + s.name() + "' into another chart");
        }
        series.add(s);
        return this;
    }

    /** Fixes the y axis to [min, max], e.g. to leave out the first steps' much higher loss. */
    public LineChart yRange(double min, double max) {
        if (!(min < max) || !Double.isFinite(min) || !Double.isFinite(max)) {
            throw new IllegalArgumentException("y range [" + min + ", " + max + "] must be finite with min < max");
        }
        yMin = min;
        yMax = max;
        return this;
    }

    /** The chart as PNG bytes. */
    public byte[] png(int width, int height) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(render(width, height), "png", out)) {
                throw new IllegalStateException("this JVM's ImageIO has no PNG writer");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing the chart '" + title + "' as PNG failed", e);
        }
        return out.toByteArray();
    }

    /** The chart drawn into a new RGB image of {@code width} × {@code height} pixels. */
    public BufferedImage render(int width, int height) {
        if (width < MARGIN_LEFT + MARGIN_RIGHT + 100 || height < MARGIN_TOP + MARGIN_BOTTOM + 100) {
            throw new IllegalArgumentException("a chart of " + width + "x" + height + " px leaves no room to plot; use at least "
                    + (MARGIN_LEFT + MARGIN_RIGHT + 100) + "x" + (MARGIN_TOP + MARGIN_BOTTOM + 100));
        }
        double[] xr = range(true);
        double[] yr = Double.isNaN(yMin) ? range(false) : new double[] {yMin, yMax};
        if (xr == null || yr == null) {
            throw new IllegalArgumentException("chart '" + title + "' has no finite point to draw");
        }
        Axis xAxis = Axis.of(xr[0], xr[1]);
        Axis yAxis = Double.isNaN(yMin) ? Axis.of(yr[0], yr[1]) : Axis.exact(yMin, yMax);
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            Plot plot = new Plot(MARGIN_LEFT, MARGIN_TOP, width - MARGIN_LEFT - MARGIN_RIGHT,
                    height - MARGIN_TOP - MARGIN_BOTTOM, xAxis, yAxis);
            drawFrame(g, plot, width);
            for (int i = 0; i < series.size(); i++) drawSeries(g, plot, series.get(i), PALETTE[i]);
            drawLegend(g, plot);
        } finally {
            g.dispose();
        }
        return image;
    }

    /** [min, max] over the finite points of every series on one axis; null when there is none. */
    private double[] range(boolean xs) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            for (int i = 0; i < s.x().length; i++) {
                if (!Double.isFinite(s.x()[i]) || !Double.isFinite(s.y()[i])) continue;
                double v = xs ? s.x()[i] : s.y()[i];
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
        }
        return lo > hi ? null : new double[] {lo, hi};
    }

    private void drawFrame(Graphics2D g, Plot p, int width) {
        Font small = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
        g.setFont(small);
        FontMetrics fm = g.getFontMetrics();
        for (double v : p.x().ticks()) {
            int px = p.px(v);
            g.setColor(new Color(0xE6E6E6));
            g.drawLine(px, p.top(), px, p.bottom());
            g.setColor(Color.DARK_GRAY);
            g.drawLine(px, p.bottom(), px, p.bottom() + 4);
            String label = p.x().format(v);
            g.drawString(label, px - fm.stringWidth(label) / 2, p.bottom() + 6 + fm.getAscent());
        }
        for (double v : p.y().ticks()) {
            int py = p.py(v);
            g.setColor(new Color(0xE6E6E6));
            g.drawLine(p.left(), py, p.right(), py);
            g.setColor(Color.DARK_GRAY);
            g.drawLine(p.left() - 4, py, p.left(), py);
            String label = p.y().format(v);
            g.drawString(label, p.left() - 7 - fm.stringWidth(label), py + fm.getAscent() / 2 - 1);
        }
        g.setColor(Color.DARK_GRAY);
        g.drawRect(p.left(), p.top(), p.width(), p.height());
        g.drawString(xLabel, p.left() + (p.width() - fm.stringWidth(xLabel)) / 2, p.bottom() + 24 + fm.getAscent());
        Graphics2D rotated = (Graphics2D) g.create();
        rotated.rotate(-Math.PI / 2);
        rotated.drawString(yLabel, -(p.top() + (p.height() + fm.stringWidth(yLabel)) / 2), 18);
        rotated.dispose();
        g.setFont(small.deriveFont(Font.BOLD, 15f));
        FontMetrics big = g.getFontMetrics();
        g.setColor(Color.BLACK);
        g.drawString(title, (width - big.stringWidth(title)) / 2, p.top() - 14);
    }

    private static void drawSeries(Graphics2D g, Plot p, Series s, Color color) {
        Graphics2D clip = (Graphics2D) g.create();
        try {
            clip.clipRect(p.left(), p.top(), p.width() + 1, p.height() + 1);
            clip.setColor(color);
            clip.setStroke(new BasicStroke(2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
            Path2D.Double line = new Path2D.Double();
            boolean penDown = false;
            for (int i = 0; i < s.x().length; i++) {
                double x = s.x()[i];
                double y = s.y()[i];
                if (!Double.isFinite(x) || !Double.isFinite(y)) {
                    penDown = false;
                    continue;
                }
                if (penDown) line.lineTo(p.pxExact(x), p.pyExact(y));
                else line.moveTo(p.pxExact(x), p.pyExact(y));
                penDown = true;
                clip.fillOval(p.px(x) - 2, p.py(y) - 2, 5, 5);
            }
            clip.draw(line);
        } finally {
            clip.dispose();
        }
    }

    private void drawLegend(Graphics2D g, Plot p) {
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        FontMetrics fm = g.getFontMetrics();
        int lineHeight = fm.getHeight() + 2;
        int textWidth = series.stream().mapToInt(s -> fm.stringWidth(s.name())).max().orElse(0);
        int w = textWidth + 40;
        int h = series.size() * lineHeight + 8;
        int x0 = p.right() - w - 8;
        int y0 = p.top() + 8;
        g.setColor(new Color(255, 255, 255, 230));
        g.fillRect(x0, y0, w, h);
        g.setColor(Color.GRAY);
        g.drawRect(x0, y0, w, h);
        for (int i = 0; i < series.size(); i++) {
            int y = y0 + 4 + i * lineHeight + lineHeight / 2;
            g.setColor(PALETTE[i]);
            g.setStroke(new BasicStroke(2.5f));
            g.drawLine(x0 + 8, y, x0 + 28, y);
            g.setColor(Color.BLACK);
            g.drawString(series.get(i).name(), x0 + 34, y + fm.getAscent() / 2 - 1);
        }
    }

    /** The plotting rectangle in pixels and the axes that map data onto it. */
    private record Plot(int left, int top, int width, int height, Axis x, Axis y) {
        int right() { return left + width; }

        int bottom() { return top + height; }

        double pxExact(double v) { return left + (v - x.min()) / (x.max() - x.min()) * width; }

        double pyExact(double v) { return bottom() - (v - y.min()) / (y.max() - y.min()) * height; }

        int px(double v) { return (int) Math.round(pxExact(v)); }

        int py(double v) { return (int) Math.round(pyExact(v)); }
    }

    /**
     * An axis from min to max with ticks every {@code step}, a 1, 2 or 5 times a power of ten, so
     * that there are about five labels (Heckbert's "nice numbers").
     */
    record Axis(double min, double max, double step) {
        private static final int TARGET_TICKS = 5;

        /** Widened outwards to whole ticks; a single value gets a unit-wide range around it. */
        static Axis of(double lo, double hi) {
            if (lo == hi) {
                double pad = lo == 0 ? 1 : Math.abs(lo) * 0.1;
                lo -= pad;
                hi += pad;
            }
            double step = niceStep((hi - lo) / TARGET_TICKS);
            return new Axis(Math.floor(lo / step) * step, Math.ceil(hi / step) * step, step);
        }

        /** Exactly [lo, hi], ticks at the round values inside it. */
        static Axis exact(double lo, double hi) {
            return new Axis(lo, hi, niceStep((hi - lo) / TARGET_TICKS));
        }

        static double niceStep(double rough) {
            double power = Math.pow(10, Math.floor(Math.log10(rough)));
            double f = rough / power;
            double nice = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
            return nice * power;
        }

        List<Double> ticks() {
            List<Double> ticks = new ArrayList<>();
            // Integer multiples of step, so that no rounding error accumulates along the axis.
            for (long k = (long) Math.ceil(min / step - 1e-9); k * step <= max + step * 1e-9; k++) ticks.add(k * step);
            return ticks;
        }

        /** As many decimals as the step needs, no more. */
        String format(double v) {
            int decimals = Math.max(0, (int) Math.ceil(-Math.log10(step) - 1e-9));
            return String.format(Locale.ROOT, "%." + decimals + "f", v);
        }
    }
}
