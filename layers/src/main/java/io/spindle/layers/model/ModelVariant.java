package io.spindle.layers.model;

import io.spindle.layers.chain.ChainOptions;
import io.spindle.layers.masa.MasaOptions;
import io.spindle.layers.matformer.MatFormerOptions;
import io.spindle.layers.mla.MlaOptions;

import java.util.List;

/**
 * What differs from the baseline decoder: nested FFNs (MatFormer), a chained residual stream
 * (CoLM), dictionary-shared attention (MASA), multi-head latent attention and its TPLA form (MLA),
 * and per-layer FFN widths (what a Mix'n'Match extraction from a MatFormer produces).
 * {@link #BASELINE} changes nothing.
 *
 * @param ffnHiddenPerLayer one FFN hidden size per block; empty means model.ffnHidden everywhere
 */
public record ModelVariant(List<Integer> ffnHiddenPerLayer, MatFormerOptions matformer, ChainOptions colm, MasaOptions masa,
                           MlaOptions mla) {

    public static final ModelVariant BASELINE = new ModelVariant(List.of(), MatFormerOptions.OFF, ChainOptions.OFF,
            MasaOptions.OFF, MlaOptions.OFF);

    /** No MLA. */
    public ModelVariant(List<Integer> ffnHiddenPerLayer, MatFormerOptions matformer, ChainOptions colm, MasaOptions masa) {
        this(ffnHiddenPerLayer, matformer, colm, masa, MlaOptions.OFF);
    }

    public ModelVariant {
        ffnHiddenPerLayer = List.copyOf(ffnHiddenPerLayer);
        if (mla == null) mla = MlaOptions.OFF;
        if (matformer == null || colm == null || masa == null) {
            throw new IllegalArgumentException("model variant options must not be null; use the OFF constants");
        }
        for (int h : ffnHiddenPerLayer) {
            if (h <= 0) throw new IllegalArgumentException("model.ffnHiddenPerLayer=" + ffnHiddenPerLayer + " has a non-positive size");
        }
        if (colm.enabled() && (matformer.enabled() || masa.enabled() || !ffnHiddenPerLayer.isEmpty())) {
            throw new IllegalArgumentException("model.colm cannot be combined with model.matformer, model.masa or"
                    + " model.ffnHiddenPerLayer in this build; turn the others off");
        }
        if (mla.enabled() && (colm.enabled() || masa.enabled())) {
            throw new IllegalArgumentException("model.attention=mla cannot be combined with model." + (colm.enabled() ? "colm" : "masa")
                    + ": those variants bring their own attention; set model.attention=mha or turn model."
                    + (colm.enabled() ? "colm" : "masa") + " off");
        }
        if (matformer.enabled() && !ffnHiddenPerLayer.isEmpty()) {
            throw new IllegalArgumentException("model.matformer needs one model.ffnHidden for every layer;"
                    + " leave model.ffnHiddenPerLayer empty");
        }
    }

    public ModelVariant withMatFormer(MatFormerOptions m) { return new ModelVariant(ffnHiddenPerLayer, m, colm, masa, mla); }

    public ModelVariant withColm(ChainOptions c) { return new ModelVariant(ffnHiddenPerLayer, matformer, c, masa, mla); }

    public ModelVariant withMasa(MasaOptions m) { return new ModelVariant(ffnHiddenPerLayer, matformer, colm, m, mla); }

    public ModelVariant withMla(MlaOptions m) { return new ModelVariant(ffnHiddenPerLayer, matformer, colm, masa, m); }

    public ModelVariant withFfnHiddenPerLayer(List<Integer> sizes) { return new ModelVariant(sizes, matformer, colm, masa, mla); }
}
