package io.spindle.layers.matformer;

import java.util.List;

/**
 * Config of a MatFormer language model ({@code model.matformer.*}): every block's FFN is a
 * {@link MatFormerFFN} trained jointly at the widths {@code ffnHidden / d} for each divisor d.
 *
 * @param divisors granularities as divisors of the FFN hidden size, e.g. [8, 4, 2, 1] for H/8..H;
 *                 empty means the model is not a MatFormer
 * @param mode     how a step trains the granularities ({@link JointTraining.Mode})
 * @param weights  lambda per granularity, smallest width first; empty means all 1
 */
public record MatFormerOptions(List<Integer> divisors, JointTraining.Mode mode, List<Double> weights) {

    public static final MatFormerOptions OFF = new MatFormerOptions(List.of(), JointTraining.Mode.SUMMED, List.of());

    public MatFormerOptions {
        divisors = List.copyOf(divisors);
        weights = List.copyOf(weights);
        if (mode == null) throw new IllegalArgumentException("model.matformer.mode is missing; use summed or sampled");
        if (!weights.isEmpty() && weights.size() != divisors.size()) {
            throw new IllegalArgumentException("model.matformer.weights has " + weights.size() + " entries but"
                    + " model.matformer.divisors has " + divisors.size() + "; give one weight per granularity or none");
        }
    }

    public boolean enabled() { return !divisors.isEmpty(); }

    /** The trained widths for an FFN of {@code hidden} neurons; checks every divisor divides it. */
    public Granularities granularities(int hidden) {
        int[] d = new int[divisors.size()];
        for (int i = 0; i < d.length; i++) d[i] = divisors.get(i);
        try {
            return Granularities.ofDivisors(hidden, d);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("model.matformer.divisors=" + divisors + " with model.ffnHidden=" + hidden
                    + ": " + e.getMessage());
        }
    }

    /** The joint objective over {@code granularities(hidden)}, seeded for sampling. */
    public JointTraining jointTraining(long seed) {
        double[] w = new double[divisors.size()];
        for (int i = 0; i < w.length; i++) w[i] = weights.isEmpty() ? 1.0 : weights.get(i);
        return new JointTraining(mode, w, seed);
    }
}
