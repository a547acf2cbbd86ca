package io.spindle.spark.conformance;

/** How many golden cases passed and failed in one run. */
public record ConformanceReport(int passed, int failed) {
    public boolean allPassed() {
        return failed == 0;
    }
}
