package io.spindle.spark.memory;

import io.spindle.spark.config.ConfigException;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OffHeapCheckTest {
    private static final long MIB = 1L << 20;
    private static final RankMemoryEstimate RANK_300_MIB = new RankMemoryEstimate(50 * MIB, 50 * MIB, 100 * MIB, 100 * MIB);

    @Test
    void yarnOverheadFollowsSparksDefaultRule() {
        ExecutorMemory small = ExecutorMemory.of(new SparkConf().set("spark.executor.memory", "2g"), "yarn");
        assertEquals(384 * MIB, small.overheadBytes(), "max(384m, 0.1 x 2g)");
        ExecutorMemory big = ExecutorMemory.of(new SparkConf().set("spark.executor.memory", "10g"), "k8s://https://api:6443");
        assertEquals((long) (0.1 * (10L << 30)), big.overheadBytes());
        ExecutorMemory explicit = ExecutorMemory.of(new SparkConf().set("spark.executor.memoryOverhead", "3g"), "yarn");
        assertEquals(3L << 30, explicit.overheadBytes());
        assertEquals((3L << 30) - ExecutorMemory.JVM_NATIVE_BYTES, explicit.allowanceBytes());
    }

    @Test
    void standaloneAndLocalEnforceNoContainerLimit() {
        assertFalse(ExecutorMemory.of(new SparkConf(), "spark://master:7077").limited());
        assertFalse(ExecutorMemory.of(new SparkConf(), "local[4]").limited());
        assertDoesNotThrow(() -> OffHeapCheck.check(RANK_300_MIB, 8, ExecutorMemory.of(new SparkConf(), "spark://m:7077")));
    }

    @Test
    void aRankThatDoesNotFitIsRefusedWithTheOverheadThatFits() {
        ExecutorMemory yarn = ExecutorMemory.of(new SparkConf().set("spark.executor.memoryOverhead", "512m"), "yarn");
        ConfigException e = assertThrows(ConfigException.class, () -> OffHeapCheck.check(RANK_300_MIB, 1, yarn));
        assertTrue(e.getMessage().contains("spark.executor.memoryOverhead=512m"), e.getMessage());
        assertTrue(e.getMessage().contains("at least 557m"), "300 MiB + the JVM's 256 MiB, rounded up: " + e.getMessage());
        ExecutorMemory raised = ExecutorMemory.of(new SparkConf().set("spark.executor.memoryOverhead", "557m"), "yarn");
        assertDoesNotThrow(() -> OffHeapCheck.check(RANK_300_MIB, 1, raised), "the suggested value fits");
    }

    @Test
    void ranksSharingAnExecutorShareItsOverhead() {
        ExecutorMemory yarn = ExecutorMemory.of(new SparkConf().set("spark.executor.memoryOverhead", "1g"), "yarn");
        assertDoesNotThrow(() -> OffHeapCheck.check(RANK_300_MIB, 2, yarn));
        ConfigException e = assertThrows(ConfigException.class, () -> OffHeapCheck.check(RANK_300_MIB, 3, yarn));
        assertTrue(e.getMessage().contains("3 ranks per executor"), e.getMessage());
    }
}
