package io.spindle.layers.matformer;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * How one training step optimizes the nested granularities jointly (MatFormer §3):
 * <ul>
 *   <li>{@link Mode#SUMMED}: the step's loss is {@code sum_g lambda_g L(M_g)}, the paper's joint
 *       objective; every granularity runs forward and backward each step, its gradient scaled by
 *       lambda_g.</li>
 *   <li>{@link Mode#SAMPLED}: one granularity per step, drawn with probability proportional to
 *       lambda_g (uniform by default), the cheaper variant that costs one forward/backward per
 *       step. The draw depends only on (seed, step), so every data-parallel rank picks the same
 *       granularity and DP=N still equals DP=1.</li>
 * </ul>
 * The same objective over nested sub-models serves CoLM's chain prefixes
 * ({@link io.spindle.layers.chain.ChainOptions#prefixTraining}): there term g is the prefix of g+1 chains.
 */
public record JointTraining(Mode mode, double[] weights, long seed) {

    public enum Mode { SUMMED, SAMPLED }

    /** One forward/backward of a step: run granularity {@code granularity}, scale its loss by {@code weight}. */
    public record Term(int granularity, double weight) {}

    public JointTraining {
        if (mode == null) throw new IllegalArgumentException("MatFormer joint training needs a mode: summed or sampled");
        if (weights == null || weights.length == 0) {
            throw new IllegalArgumentException("MatFormer joint training needs one weight per granularity");
        }
        weights = weights.clone();
        double total = 0;
        for (double w : weights) {
            if (!(w >= 0) || Double.isInfinite(w)) {
                throw new IllegalArgumentException("MatFormer granularity weights must be finite and >= 0, got "
                        + java.util.Arrays.toString(weights));
            }
            total += w;
        }
        if (!(total > 0)) {
            throw new IllegalArgumentException("MatFormer granularity weights are all zero; give at least one a positive weight");
        }
    }

    /** Every granularity with weight 1: the paper's uniform lambda. */
    public static JointTraining uniform(Mode mode, int granularities, long seed) {
        double[] w = new double[granularities];
        java.util.Arrays.fill(w, 1.0);
        return new JointTraining(mode, w, seed);
    }

    @Override
    public double[] weights() { return weights.clone(); }

    public int granularities() { return weights.length; }

    /** The forward/backward passes of training step {@code step}, largest granularity first. */
    public List<Term> terms(long step) {
        List<Term> out = new ArrayList<>();
        if (mode == Mode.SUMMED) {
            for (int g = weights.length - 1; g >= 0; g--) {
                if (weights[g] > 0) out.add(new Term(g, weights[g]));
            }
            return out;
        }
        out.add(new Term(sample(step), 1.0));
        return out;
    }

    private int sample(long step) {
        double total = 0;
        for (double w : weights) total += w;
        double u = new SplittableRandom(seed ^ (step * 0x9E3779B97F4A7C15L)).nextDouble() * total;
        for (int g = 0; g < weights.length; g++) {
            u -= weights[g];
            if (u < 0 && weights[g] > 0) return g;
        }
        for (int g = weights.length - 1; g >= 0; g--) if (weights[g] > 0) return g;
        throw new IllegalStateException("unreachable: weights were checked to have a positive entry");
    }
}
