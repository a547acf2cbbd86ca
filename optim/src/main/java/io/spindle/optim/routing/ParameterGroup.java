package io.spindle.optim.routing;

import io.spindle.optim.Optimizer;
import io.spindle.optim.ParamSlot;

import java.util.function.Predicate;

/**
 * A parameter group, as in the Muon papers' setups (and PyTorch's {@code param_groups}): the
 * parameters {@code selects} accepts are updated by {@code optimizer}, whose own settings carry the
 * group's weight decay, at the learning rate {@code learningRate} gives: the run's times a factor, or
 * a schedule of the group's own.
 *
 * @param name         names the group in logs and prefixes its state tensors ({@code <name>/...})
 * @param description  which parameters the group takes, in words, for error messages
 */
public record ParameterGroup(String name, String description, Predicate<ParamSlot> selects,
                             Optimizer optimizer, GroupLearningRate learningRate) {
    public ParameterGroup {
        if (name == null || name.isEmpty() || name.contains("/")) {
            throw new IllegalArgumentException("parameter group name '" + name + "' must be non-empty and contain no '/'");
        }
        if (selects == null || optimizer == null || learningRate == null) {
            throw new IllegalArgumentException("parameter group " + name + " needs a selector, an optimizer and a learning rate");
        }
    }

    /**
     * The hidden weight matrices: role {@code matrix} and 2-D. Muon and its relatives are defined for
     * these only; embeddings and the head are matrices too but are trained with AdamW, as in the
     * Muon write-up and the NorMuon and AuON experiments.
     */
    public static ParameterGroup hiddenMatrices(String name, Optimizer optimizer, GroupLearningRate learningRate) {
        return new ParameterGroup(name, "2-D parameters of role " + ParamSlot.MATRIX,
                p -> ParamSlot.MATRIX.equals(p.role()) && p.shape().length == 2, optimizer, learningRate);
    }

    /** Hidden matrices at the run's learning rate times {@code lrMultiplier}. */
    public static ParameterGroup hiddenMatrices(String name, Optimizer optimizer, double lrMultiplier) {
        return hiddenMatrices(name, optimizer, GroupLearningRate.scaled(lrMultiplier));
    }

    /** Every parameter; put it last so it takes what the groups before it left. */
    public static ParameterGroup everythingElse(String name, Optimizer optimizer, GroupLearningRate learningRate) {
        return new ParameterGroup(name, "every other parameter", p -> true, optimizer, learningRate);
    }

    /** Every other parameter at the run's learning rate times {@code lrMultiplier}. */
    public static ParameterGroup everythingElse(String name, Optimizer optimizer, double lrMultiplier) {
        return everythingElse(name, optimizer, GroupLearningRate.scaled(lrMultiplier));
    }

    @Override
    public String toString() {
        return name + " (" + description + ", " + learningRate + ")";
    }
}
