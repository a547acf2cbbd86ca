package io.spindle.spark.prepare;

import java.io.Serializable;

/**
 * A shard an executor task has written under the job's temporary directory, reported back to the
 * driver, which gives it its final name. {@code partition} and {@code sequence} order shards as
 * the input orders documents.
 */
record WrittenShard(boolean validation, int partition, int sequence, String temporaryPath, long tokens,
                    long documents) implements Serializable {
}
