package io.spindle.layers.core;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A linear map of rows, {@code y = x W^T}, however W is stored: a dense parameter, chain-structured
 * blocks, a combination of shared atoms. Attention and gated FFNs are written once against this
 * and take whichever projections a model variant uses. Same ownership rules as {@link FeedForward}.
 */
public interface Projection {
    int inWidth();

    int outWidth();

    /** x: [rows, inWidth] → y: [rows, outWidth], owned by the projection; x is kept for backward. */
    INDArray forward(INDArray x);

    /**
     * Adds the weight gradient of the last forward for upstream {@code dy} into the parameters'
     * gradients, and writes dx = dy W into (or, with {@code accumulate}, adds it to) the caller's
     * {@code dx}, so projections of one input sum their input gradients inside BLAS.
     */
    void backward(INDArray dy, INDArray dx, boolean accumulate);

    /**
     * Completes {@code dx} once every projection of the same input has added its part: a projection
     * that holds only a slice of its outputs (column-parallel) gave only that slice's share, and the
     * shares are summed over the slices here (Megatron's "identity forward, all-reduce backward").
     * Projections holding all their outputs leave {@code dx} as it is.
     */
    default void completeInputGradient(INDArray dx) { }
}
