package io.spindle.spark.conformance;

import java.util.List;

/**
 * How many golden cases passed and failed in one run, and why each file that could not be read at
 * all was refused (each also counted as one failure): a malformed file is bad input, not a
 * numerical failure.
 */
public record ConformanceReport(int passed, int failed, List<String> malformed) {
    public ConformanceReport {
        malformed = List.copyOf(malformed);
    }

    public ConformanceReport(int passed, int failed) {
        this(passed, failed, List.of());
    }

    public boolean allPassed() {
        return failed == 0;
    }
}
