package io.spindle.spark.memory;

import io.spindle.spark.config.ConfigException;

/**
 * Refuses a run whose ranks cannot fit in their executors' container limit, before any work, with
 * the setting to raise and a value that fits.
 */
public final class OffHeapCheck {
    private OffHeapCheck() {}

    public static void check(RankMemoryEstimate rank, int ranksPerExecutor, ExecutorMemory executor) {
        long need = rank.total() * ranksPerExecutor;
        if (!executor.limited() || need <= executor.allowanceBytes()) return;
        long overheadMiB = ((need + ExecutorMemory.JVM_NATIVE_BYTES) >> 20) + 1;
        String ranks = ranksPerExecutor == 1 ? "a rank needs" : ranksPerExecutor + " ranks per executor need";
        throw new ConfigException("the model does not fit in the executors' memory overhead: " + ranks + " about "
                + RankMemoryEstimate.bytes(need) + " of ND4J memory outside the Java heap (per rank " + rank.describe()
                + "), but spark.executor.memoryOverhead=" + (executor.overheadBytes() >> 20) + "m leaves "
                + RankMemoryEstimate.bytes(executor.allowanceBytes()) + " after the JVM's own "
                + (ExecutorMemory.JVM_NATIVE_BYTES >> 20) + " MiB; the cluster manager would kill the executors. Raise"
                + " spark.executor.memoryOverhead to at least " + overheadMiB + "m (--conf spark.executor.memoryOverhead="
                + overheadMiB + "m, or spark.conf { \"spark.executor.memoryOverhead\" = \"" + overheadMiB + "m\" } in the"
                + " config), or lower train.batch or the model size, or set optim.state = coat. Nothing was started.");
    }
}
