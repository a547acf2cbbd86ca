package io.spindle.layers.mla;

/**
 * Which share of a {@link MultiHeadLatentAttention} layer one instance holds, read from the slices
 * its parameter set gave its parameters: the whole layer, a share of the heads (Megatron's head
 * split: wq, wq_rope, wuk, wuv by output rows, wo by input columns) or a share of TPLA's latent
 * shards (wdkv by output rows, the latent norm's gain and wuk, wuv by latent columns). Any other
 * combination is refused, naming the slices it found.
 *
 * @param heads       heads this instance computes
 * @param latent      latent columns it holds
 * @param latentSplit whether the latent (not the heads) is split
 */
record LayerShare(int heads, int latent, boolean latentSplit) {
    static LayerShare of(MultiHeadLatentAttention l, String prefix) {
        LatentShape shape = l.shape;
        if (!l.wdkv.weight().slice().isWhole()) return new LayerShare(shape.heads(), latentShare(l, prefix, shape), true);
        return new LayerShare(localHeads(l, prefix, shape), shape.latent(), false);
    }

    /**
     * The latent columns a TPLA latent split gives this instance: wdkv's rows, the same columns of
     * wuk, wuv and the norm's gain, whole TPLA shards; every other map whole.
     */
    private static int latentShare(MultiHeadLatentAttention l, String prefix, LatentShape shape) {
        int width = l.wdkv.out();
        int holders = shape.latent() / width;
        boolean agree = shape.latent() % width == 0 && l.wuk.slice().dim() == 1 && l.wuk.shape()[1] == width
                && l.wuv.slice().dim() == 1 && l.wuv.shape()[1] == width
                && (l.kvNorm == null || l.kvNorm.gain().shape()[0] == width)
                && l.wq.weight().slice().isWhole() && l.wo.weight().slice().isWhole()
                && (l.wqRope == null || l.wqRope.weight().slice().isWhole())
                && (l.wkRope == null || l.wkRope.weight().slice().isWhole());
        if (!agree) {
            throw new IllegalArgumentException(prefix + ": the MLA parameters' slices are not one latent split (wdkv "
                    + width + " rows, wuk/wuv " + l.wuk.shape()[1] + "/" + l.wuv.shape()[1] + " columns; wq, wo and the RoPE"
                    + " maps must be whole)");
        }
        if (shape.shards() % holders != 0) {
            throw new IllegalArgumentException(prefix + ": a latent split over " + holders + " ranks needs whole TPLA"
                    + " shards on each; the sequence form has " + shape.shards() + " (model.mla.tplaShards must be a"
                    + " multiple of " + holders + " with model.mla.sequenceForm=tpla)");
        }
        return width;
    }

    /** The number of whole heads the per-head parameters' slices hold; they must all agree. */
    private static int localHeads(MultiHeadLatentAttention l, String prefix, LatentShape shape) {
        int dh = shape.headDim();
        int heads = l.wq.out() / dh;
        boolean agree = l.wq.out() % dh == 0 && l.wuk.shape()[0] == (long) heads * dh
                && l.wuv.shape()[0] == (long) heads * dh && l.wo.in() == heads * dh
                && (l.wqRope == null || l.wqRope.out() == heads * shape.ropeDim())
                && l.wdkv.weight().slice().isWhole() && (l.wkRope == null || l.wkRope.weight().slice().isWhole());
        if (!agree) {
            throw new IllegalArgumentException(prefix + ": the MLA parameters' slices are not one whole-head split (wq "
                    + l.wq.out() + " rows, wuk/wuv " + l.wuk.shape()[0] + "/" + l.wuv.shape()[0] + ", wo " + l.wo.in()
                    + " columns, head size " + dh + "; wdkv and wk_rope must be whole)");
        }
        if (heads != shape.heads() && shape.shards() > 1) {
            throw new IllegalArgumentException(prefix + ": TPLA's sequence form (" + shape.shards() + " latent shards)"
                    + " cannot also split heads; train it with model.mla.sequenceForm=mla");
        }
        return heads;
    }
}
