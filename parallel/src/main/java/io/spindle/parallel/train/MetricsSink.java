package io.spindle.parallel.train;

import java.util.Map;

/**
 * Where a rank's metrics go: one row per training step, validation, or event, as an ordered map
 * that becomes one line of {@code metrics.jsonl}. On Spark the rows stream to the driver; in
 * tests they are collected in memory.
 */
@FunctionalInterface
public interface MetricsSink {
    void emit(Map<String, Object> row);
}
