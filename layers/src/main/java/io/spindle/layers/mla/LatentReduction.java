package io.spindle.layers.mla;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * How a decoding step that holds only some TPLA shards of the latent combines its partial sums
 * with the other shards' (the latent norm's sums of squares, the attention output): nothing on one
 * device that holds every shard, an all-reduce over the tensor-parallel group otherwise
 * ({@code parallel/tpla}).
 */
@FunctionalInterface
public interface LatentReduction {
    /** The single-device case: this step already holds every shard. */
    LatentReduction NONE = partial -> { };

    /** Replaces {@code partial} (float32, c-order, contiguous) by its sum over all shard holders. */
    void sum(INDArray partial);
}
