package io.spindle.layers.model;

import io.spindle.layers.chain.Chains;

import java.util.List;

/** Checks a {@link ModelVariant} against the model's shape; every message names the key and the fix. */
final class VariantChecks {
    private VariantChecks() {}

    static void check(int dModel, int layers, int heads, int ffnHidden, ModelVariant v) {
        if (!v.ffnHiddenPerLayer().isEmpty() && v.ffnHiddenPerLayer().size() != layers) {
            throw new IllegalArgumentException("model.ffnHiddenPerLayer has " + v.ffnHiddenPerLayer().size()
                    + " sizes but model.layers=" + layers + "; give one per layer or none");
        }
        if (v.matformer().enabled()) v.matformer().granularities(ffnHidden);
        if (v.masa().enabled() && v.masa().atoms() > layers) {
            throw new IllegalArgumentException("model.masa.atoms=" + v.masa().atoms() + " exceeds model.layers=" + layers
                    + "; more atoms than layers shares nothing (the paper uses about layers/3)");
        }
        if (v.mla().enabled()) {
            try {
                v.mla().shape(dModel, heads).withShards(v.mla().tplaShards()); // decoding's T must divide the latent too
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("model.attention=mla: " + e.getMessage(), e);
            }
        }
        if (v.colm().enabled()) {
            Chains chains = v.colm().residual();
            if (chains.total() != dModel) {
                throw new IllegalArgumentException("model.colm.chains=" + v.colm().chains() + " add up to " + chains.total()
                        + ", not model.dModel=" + dModel + "; chain sizes must add up to the model width");
            }
            int headDim = dModel / heads;
            for (int j = 0; j < chains.count(); j++) {
                if (chains.size(j) % headDim != 0) {
                    throw new IllegalArgumentException("model.colm.chains=" + v.colm().chains() + ": chain " + j + " (size "
                            + chains.size(j) + ") is not a whole number of heads of size model.dModel/model.heads=" + headDim
                            + "; make every chain size a multiple of " + headDim);
                }
            }
            try {
                chains.scaledTo(ffnHidden);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("model.ffnHidden=" + ffnHidden + " with model.colm.chains="
                        + v.colm().chains() + ": " + e.getMessage());
            }
        }
    }

    /**
     * Refuses the variants whose blocks are built from one fixed kind of layer: CoLM chains the
     * attention and SwiGLU of every block, MASA shares attention matrices across all blocks, and
     * MatFormer nests SwiGLU neurons.
     */
    static void checkBlockKinds(List<String> mixers, String ffn, ModelVariant v) {
        boolean stateSpace = mixers.stream().anyMatch(m -> !m.equals("attention"));
        if (v.colm().enabled() && stateSpace) {
            throw new IllegalArgumentException("model.colm cannot be combined with model.mixers=" + mixers
                    + ": CoLM chains the attention of every block; leave model.mixers empty or turn model.colm off");
        }
        if (v.colm().enabled() && !ffn.equals("swiglu")) {
            throw new IllegalArgumentException("model.colm cannot be combined with model.ffn=" + ffn
                    + ": CoLM chains a SwiGLU FFN; set model.ffn=swiglu or turn model.colm off");
        }
        if (v.masa().enabled() && stateSpace) {
            throw new IllegalArgumentException("model.masa cannot be combined with model.mixers=" + mixers
                    + ": MASA shares attention matrices across every block; leave model.mixers empty or turn model.masa off");
        }
        if (v.matformer().enabled() && !ffn.equals("swiglu")) {
            throw new IllegalArgumentException("model.matformer cannot be combined with model.ffn=" + ffn
                    + ": MatFormer nests the neurons of a SwiGLU FFN; set model.ffn=swiglu or turn model.matformer off");
        }
    }
}
