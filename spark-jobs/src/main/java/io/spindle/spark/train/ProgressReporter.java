package io.spindle.spark.train;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;

/**
 * Training progress on the driver console: a bar redrawn in place on a terminal, plain lines
 * every {@code logEvery} steps otherwise (logs, notebooks, Airflow). Shows loss, throughput and
 * the time left; validation results and events always get their own line.
 */
final class ProgressReporter {
    private final PrintStream out;
    private final boolean terminal;
    private final long totalSteps;
    private final int logEvery;
    private final long startNanos = System.nanoTime();
    private long firstStep = -1;
    private double smoothedTokensPerS = Double.NaN;
    private double lastValLoss = Double.NaN;
    private boolean barShown;

    ProgressReporter(PrintStream out, boolean terminal, long totalSteps, int logEvery) {
        this.out = out;
        this.terminal = terminal;
        this.totalSteps = totalSteps;
        this.logEvery = logEvery;
    }

    void onRow(Map<String, Object> row) {
        if (row.containsKey("event")) {
            String event = String.valueOf(row.get("event"));
            if (row.get("message") != null) line("warning: " + row.get("message")); // e.g. a damaged checkpoint skipped
            else if (!event.equals("checkpoint") && !event.equals("start")) line("[" + event + " at step " + row.get("step") + "]");
            else if (event.equals("checkpoint")) line("checkpoint written at step " + row.get("step"));
            return;
        }
        long step = ((Number) row.get("step")).longValue();
        if (row.containsKey("val_loss")) {
            lastValLoss = ((Number) row.get("val_loss")).doubleValue();
            line(String.format(Locale.ROOT, "validation at step %d: loss %.4f nats/token, %.3f bits/byte",
                    step, lastValLoss, ((Number) row.get("val_bpb")).doubleValue()));
            return;
        }
        if (firstStep < 0) firstStep = step - 1;
        double tps = ((Number) row.get("tokens_per_s")).doubleValue();
        smoothedTokensPerS = Double.isNaN(smoothedTokensPerS) ? tps : 0.9 * smoothedTokensPerS + 0.1 * tps;
        double elapsed = (System.nanoTime() - startNanos) / 1e9;
        double perStep = elapsed / Math.max(1, step - firstStep);
        String eta = duration(perStep * (totalSteps - step));
        String text = String.format(Locale.ROOT, "step %d/%d  loss %.4f  %s tok/s  lr %.2e  ETA %s", step, totalSteps,
                ((Number) row.get("loss")).doubleValue(), thousands(smoothedTokensPerS),
                ((Number) row.get("lr")).doubleValue(), eta);
        if (terminal) {
            int width = 24;
            int filled = (int) (width * step / Math.max(1, totalSteps));
            out.print("\r[" + "#".repeat(filled) + " ".repeat(width - filled) + "] " + text + "   ");
            out.flush();
            barShown = true;
        } else if (step % logEvery == 0 || step == totalSteps) {
            out.println(text);
        }
    }

    private void line(String s) {
        if (barShown) {
            out.println();
            barShown = false;
        }
        out.println(s);
    }

    void finish() {
        if (barShown) out.println();
        barShown = false;
    }

    static String duration(double seconds) {
        long s = Math.max(0, Math.round(seconds));
        return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60)
                : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }

    private static String thousands(double v) {
        return v >= 1000 ? String.format(Locale.ROOT, "%.1fk", v / 1000) : String.format(Locale.ROOT, "%.0f", v);
    }
}
