package io.spindle.bench;

import java.util.Arrays;

/** Wall times of repeated steps after a warmup, with the summary the docs report. */
record StepTimes(String name, double[] millis) {
    StepTimes {
        if (millis.length == 0) throw new IllegalArgumentException(name + ": no timed steps");
        millis = millis.clone();
    }

    /** Warmup lasts at least this long too, so that HotSpot has compiled the kernels (C2) before timing. */
    static final double MIN_WARMUP_SECONDS = 3.0;

    /**
     * Runs untimed calls of {@code step} until both {@code warmup} calls and
     * {@link #MIN_WARMUP_SECONDS} have passed, then {@code steps} timed calls.
     */
    static StepTimes measure(String name, int warmup, int steps, Runnable step) {
        long warmupStart = System.nanoTime();
        for (int i = 0; i < warmup || System.nanoTime() - warmupStart < MIN_WARMUP_SECONDS * 1e9; i++) step.run();
        double[] ms = new double[steps];
        for (int i = 0; i < steps; i++) {
            long t0 = System.nanoTime();
            step.run();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        return new StepTimes(name, ms);
    }

    double median() { return quantile(0.5); }

    double p90() { return quantile(0.9); }

    double min() { return Arrays.stream(millis).min().orElseThrow(); }

    double max() { return Arrays.stream(millis).max().orElseThrow(); }

    /** Nearest-rank quantile of the sorted times. */
    double quantile(double q) {
        double[] s = millis.clone();
        Arrays.sort(s);
        int rank = (int) Math.ceil(q * s.length);
        return s[Math.max(0, Math.min(s.length - 1, rank - 1))];
    }

    int count() { return millis.length; }
}
