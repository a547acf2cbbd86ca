package io.spindle.layers.core;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * How one model instance's parameters relate to the logical model: which {@link TensorSlice} of
 * each named parameter it holds, and the two reductions that complete a computation done on
 * slices. A single-device model holds every tensor whole ({@link #WHOLE}, whose reductions do
 * nothing). Tensor parallelism supplies a layout from its plan whose reductions run over the ranks
 * holding the other slices; layers see only shapes and these operators, never a communicator.
 *
 * <p>Where layers call them (Megatron-LM's conjugate pair, Shoeybi et al. 2019 §3): a linear map
 * holding a slice of its <em>input</em> axis produces partial sums of its output and completes them
 * with {@link #sumPartials} in forward; maps holding slices of their <em>output</em> axis produce
 * partial input gradients, completed once by {@link #sumPartials} after all of them have added
 * theirs; a vocabulary-sliced embedding and softmax combine their slices the same way.
 */
public interface ShardLayout {
    /** Every parameter whole, reductions are the identity: a single-device model. */
    ShardLayout WHOLE = new ShardLayout() {
        @Override
        public TensorSlice sliceOf(String name, long[] logicalShape) { return TensorSlice.WHOLE; }

        @Override
        public void sumPartials(INDArray partial) { }

        @Override
        public void maxOverSlices(INDArray values) { }
    };

    /** The slice of parameter {@code name} (logical shape {@code logicalShape}) this instance holds. */
    TensorSlice sliceOf(String name, long[] logicalShape);

    /**
     * Replaces {@code partial} (float32, c-order, contiguous) by the elementwise sum of every slice
     * holder's {@code partial}; all holders end with identical values.
     */
    void sumPartials(INDArray partial);

    /** Replaces {@code values} by the elementwise maximum over every slice holder's {@code values}. */
    void maxOverSlices(INDArray values);
}
