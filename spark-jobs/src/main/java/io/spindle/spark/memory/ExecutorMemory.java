package io.spindle.spark.memory;

import org.apache.spark.SparkConf;

/**
 * How much memory outside the Java heap an executor's ranks may use before the cluster manager
 * kills it, read from the Spark settings. ND4J's buffers live outside the heap (allocated by its
 * native library, not counted by the JVM or by JavaCPP's limits). Under YARN and Kubernetes the
 * container's limit is heap + {@code spark.executor.memoryOverhead}, so the buffers must fit in the
 * overhead less what the JVM itself uses natively; an executor over it is killed with no Java error
 * ("Container killed ... exceeding memory limits", exit 137), which is what this check prevents.
 * Standalone and local masters run no container: nothing is enforced, so there is no allowance to
 * check ({@link #limited()} is false).
 *
 * @param allowanceBytes native bytes available to the ranks of one executor ({@code Long.MAX_VALUE} when unlimited)
 */
public record ExecutorMemory(long heapBytes, long overheadBytes, long allowanceBytes) {
    /** Native memory of the executor JVM itself: metaspace, code cache, thread stacks, Spark's Netty buffers. */
    static final long JVM_NATIVE_BYTES = 256L << 20;
    private static final long MIN_OVERHEAD = 384L << 20;

    public static ExecutorMemory of(SparkConf conf, String master) {
        long heap = conf.getSizeAsBytes("spark.executor.memory", "1g");
        if (!(master.startsWith("yarn") || master.startsWith("k8s://"))) {
            return new ExecutorMemory(heap, 0, Long.MAX_VALUE);
        }
        // Spark's own rule (YARN and Kubernetes): the explicit setting, else max(384 MiB, factor x heap)
        long overhead = conf.contains("spark.executor.memoryOverhead")
                ? conf.getSizeAsMb("spark.executor.memoryOverhead", "384") << 20
                : Math.max(MIN_OVERHEAD, (long) (conf.getDouble("spark.executor.memoryOverheadFactor", 0.1) * heap));
        return new ExecutorMemory(heap, overhead, Math.max(0, overhead - JVM_NATIVE_BYTES));
    }

    public boolean limited() {
        return allowanceBytes != Long.MAX_VALUE;
    }
}
