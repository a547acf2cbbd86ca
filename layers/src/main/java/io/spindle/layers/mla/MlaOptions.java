package io.spindle.layers.mla;

import java.util.Locale;

/**
 * Config of multi-head latent attention in a language model ({@code model.attention = mla},
 * {@code model.mla.*}). {@link #OFF} is the baseline's multi-head attention.
 *
 * @param enabled      every attention block is MLA
 * @param latent       width r of the KV latent; 0 means 4 × the head size (DeepSeek-V2's 512 for 128)
 * @param headDim      content dimensions per head; 0 means model.dModel / model.heads
 * @param ropeDim      decoupled RoPE dimensions per head (even; 0: none)
 * @param tplaShards   TPLA's T: decoding runs over T latent slices, one per tensor-parallel rank (1: MLA)
 * @param sequenceForm how full sequences (training, eval, the prompt's prefill) attend: over the
 *                     whole latent ({@code MLA}) or in T slices ({@code TPLA}, training a model in TPLA form)
 */
public record MlaOptions(boolean enabled, int latent, int headDim, int ropeDim, int tplaShards, Form sequenceForm) {
    /** How a full sequence attends. */
    public enum Form {
        MLA, TPLA;

        /** The config spelling, "mla" or "tpla". */
        public String key() { return name().toLowerCase(Locale.ROOT); }
    }

    public static final MlaOptions OFF = new MlaOptions(false, 0, 0, 16, 1, Form.MLA);

    public MlaOptions {
        if (latent < 0) throw new IllegalArgumentException("model.mla.latent=" + latent + " must be >= 0 (0: 4 x the head size)");
        if (headDim < 0) throw new IllegalArgumentException("model.mla.headDim=" + headDim + " must be >= 0 (0: dModel/heads)");
        if (ropeDim < 0 || ropeDim % 2 != 0) {
            throw new IllegalArgumentException("model.mla.ropeDim=" + ropeDim + " must be even and >= 0: RoPE rotates pairs");
        }
        if (tplaShards < 1) throw new IllegalArgumentException("model.mla.tplaShards=" + tplaShards + " must be >= 1 (1: plain MLA)");
        if (sequenceForm == null) sequenceForm = Form.MLA;
        if (!enabled && (tplaShards != 1 || sequenceForm != Form.MLA || latent != 0)) {
            throw new IllegalArgumentException("model.mla.* is set (latent=" + latent + ", tplaShards=" + tplaShards
                    + ", sequenceForm=" + sequenceForm.key() + ") but model.attention=mha; set model.attention=mla");
        }
    }

    /** The layer shape for a model of width {@code dModel} with {@code heads} heads, in the sequence form. */
    public LatentShape shape(int dModel, int heads) {
        int dh = headDim > 0 ? headDim : dModel / heads;
        return new LatentShape(dModel, heads, dh, latent > 0 ? latent : 4 * dh, ropeDim,
                sequenceForm == Form.TPLA ? tplaShards : 1);
    }

    /** The same options decoding over {@code t} shards with full sequences in {@code form}. */
    public MlaOptions withTpla(int t, Form form) {
        return new MlaOptions(enabled, latent, headDim, ropeDim, t, form);
    }
}
