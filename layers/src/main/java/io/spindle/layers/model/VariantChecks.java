package io.spindle.layers.model;

import io.spindle.layers.chain.Chains;

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
}
