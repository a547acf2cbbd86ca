package io.spindle.parallel.tp;

/**
 * How a tensor-parallel plan splits one parameter over the TP group (torchtitan's
 * {@code ColwiseParallel} / {@code RowwiseParallel}, Megatron-LM's column- and row-parallel linear
 * layers). Weights are stored {@code [out, in]}, so splitting the outputs splits axis 0.
 */
public enum ShardingStyle {
    /** Output rows split: each rank computes a slice of the outputs from the whole input. */
    COLUMN(0),
    /** Input columns split: each rank reads a slice of the input and outputs partial sums. */
    ROW(1),
    /** Vocabulary rows of an embedding table or LM head split: each rank holds a range of token ids. */
    VOCAB(0),
    /** Whole on every rank (norm gains); its gradient is identical on every rank. */
    REPLICATE(-1);

    private final int axis;

    ShardingStyle(int axis) {
        this.axis = axis;
    }

    /** The axis of the {@code [out, in]} (or {@code [vocab, dModel]}) tensor that is split; -1 for none. */
    public int axis() {
        return axis;
    }
}
