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

    /**
     * Several workloads timed in alternating rounds (one call of each per round) after a shared
     * warmup of {@link #MIN_WARMUP_SECONDS}, so that a change in machine load hits all of them alike;
     * one {@link StepTimes} per workload, in argument order.
     */
    static StepTimes[] interleaved(int rounds, Runnable... workloads) {
        long warmupStart = System.nanoTime();
        for (int i = 0; i < 2 || System.nanoTime() - warmupStart < MIN_WARMUP_SECONDS * 1e9; i++) {
            for (Runnable w : workloads) w.run();
        }
        double[][] ms = new double[workloads.length][rounds];
        for (int r = 0; r < rounds; r++) {
            for (int k = 0; k < workloads.length; k++) {
                long t0 = System.nanoTime();
                workloads[k].run();
                ms[k][r] = (System.nanoTime() - t0) / 1e6;
            }
        }
        StepTimes[] out = new StepTimes[workloads.length];
        for (int k = 0; k < workloads.length; k++) out[k] = new StepTimes("workload " + k, ms[k]);
        return out;
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
