package io.spindle.layers.model;

import io.spindle.layers.chain.Chains;

/** Trainable scalars of the model a {@link ModelConfig} builds, by the same layout TransformerLM registers. */
final class ParameterCounts {
    private ParameterCounts() {}

    static long total(ModelConfig c) {
        long d = c.dModel();
        long total = 2L * c.vocabSize() * d + d; // embedding, head, final norm
        ModelVariant v = c.variant();
        if (v.colm().enabled()) {
            Chains chains = v.colm().residual();
            Chains hidden = chains.scaledTo(c.ffnHidden());
            long keysValues = v.colm().air() ? 2 * firstChainBlocks(chains) : 2 * triangular(chains, chains);
            long attention = 2 * triangular(chains, chains) + keysValues;
            long ffn = 2 * triangular(chains, hidden) + triangular(hidden, chains);
            return total + c.layers() * (2 * d + attention + ffn);
        }
        // MASA: no per-layer attention matrices; four shared dictionaries of atoms and coefficients instead
        long attention = v.masa().enabled() ? 0 : 4 * d * d;
        for (int l = 0; l < c.layers(); l++) total += 2 * d + attention + 3 * d * c.ffnHidden(l);
        if (v.masa().enabled()) total += 4L * v.masa().atoms() * (d * d + c.layers());
        return total;
    }

    /** Scalars of a causal chain layer from {@code in} to {@code out}: block j is [out_j, in_0 + … + in_j]. */
    static long triangular(Chains in, Chains out) {
        long n = 0;
        for (int j = 0; j < out.count(); j++) n += (long) out.size(j) * in.offset(j + 1);
        return n;
    }

    /** Scalars of CoLM-Air's key or value projection: every output chain reads chain 0. */
    static long firstChainBlocks(Chains chains) {
        return (long) chains.total() * chains.size(0);
    }
}
