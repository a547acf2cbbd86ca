package io.spindle.layers.chain;

import io.spindle.layers.matformer.JointTraining;

import java.util.List;

/**
 * Config of a Chain-of-Model language model ({@code model.colm.*}).
 *
 * @param chains       the residual stream's chain sizes (they add up to model.dModel); empty means
 *                     the model is not a CoLM. The FFN hidden layer is split in the same proportions.
 * @param air          CoLM-Air: keys and values from the first chain only
 * @param prefixMode   how a training step trains the chain prefixes: each prefix k (the sub-model
 *                     with the first k chains) has its own LM loss, from the head restricted to the
 *                     first k chains' columns; summed (all prefixes every step) or sampled
 * @param prefixWeights lambda per prefix k = 1..n; empty means the full model only ([0, …, 0, 1]),
 *                     the plain CoLM objective
 */
public record ChainOptions(List<Integer> chains, boolean air, JointTraining.Mode prefixMode, List<Double> prefixWeights) {

    public static final ChainOptions OFF = new ChainOptions(List.of(), false, JointTraining.Mode.SUMMED, List.of());

    public ChainOptions {
        chains = List.copyOf(chains);
        prefixWeights = List.copyOf(prefixWeights);
        if (prefixMode == null) throw new IllegalArgumentException("model.colm.prefixMode is missing; use summed or sampled");
        if (!prefixWeights.isEmpty() && prefixWeights.size() != chains.size()) {
            throw new IllegalArgumentException("model.colm.prefixWeights has " + prefixWeights.size()
                    + " entries but model.colm.chains has " + chains.size() + "; give one weight per chain prefix or none");
        }
        if (air && chains.isEmpty()) {
            throw new IllegalArgumentException("model.colm.air=true needs model.colm.chains");
        }
    }

    public boolean enabled() { return !chains.isEmpty(); }

    public Chains residual() { return Chains.of(chains); }

    /** The joint objective over prefixes k = 1..n (term index k-1), seeded for sampling. */
    public JointTraining prefixTraining(long seed) {
        double[] w = new double[chains.size()];
        if (prefixWeights.isEmpty()) w[w.length - 1] = 1;
        else for (int i = 0; i < w.length; i++) w[i] = prefixWeights.get(i);
        return new JointTraining(prefixMode, w, seed);
    }
}
