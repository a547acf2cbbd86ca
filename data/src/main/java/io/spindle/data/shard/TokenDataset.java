package io.spindle.data.shard;

/**
 * A prepared dataset in memory: the train and validation token streams, each the concatenation of
 * its shards in manifest order.
 */
public record TokenDataset(DatasetManifest manifest, int[] train, int[] validation) {
}
