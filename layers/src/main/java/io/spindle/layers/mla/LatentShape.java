package io.spindle.layers.mla;

/**
 * The sizes of one multi-head latent attention layer (DeepSeek-V2 §2.1): {@code heads} heads of
 * {@code headDim} content dimensions read keys and values from a shared latent of width
 * {@code latent}; each head adds {@code ropeDim} decoupled RoPE dimensions whose key is shared
 * (0: no RoPE part). {@code shards} is TPLA's T: the latent is cut into T slices that attend
 * separately (1 = MLA).
 */
public record LatentShape(int dModel, int heads, int headDim, int latent, int ropeDim, int shards) {
    public LatentShape {
        if (dModel <= 0 || heads <= 0 || headDim <= 0 || latent <= 0) {
            throw new IllegalArgumentException("MLA sizes must be positive: dModel=" + dModel + ", heads=" + heads
                    + ", headDim=" + headDim + ", latent=" + latent);
        }
        if (ropeDim < 0 || ropeDim % 2 != 0) {
            throw new IllegalArgumentException("model.mla.ropeDim=" + ropeDim + " must be even and >= 0: RoPE rotates pairs");
        }
        if (shards <= 0 || latent % shards != 0) {
            throw new IllegalArgumentException("model.mla.tplaShards=" + shards + " must divide model.mla.latent=" + latent
                    + "; each TPLA shard holds latent/T columns");
        }
    }

    /** The width of one TPLA shard of the latent. */
    public int shardWidth() { return latent / shards; }

    /** 1/sqrt(headDim + ropeDim): the score scale of a head whose query has both parts. */
    public double scale() { return 1.0 / Math.sqrt(headDim + ropeDim); }

    /** This shape with another number of TPLA shards. */
    public LatentShape withShards(int t) { return new LatentShape(dModel, heads, headDim, latent, ropeDim, t); }
}
