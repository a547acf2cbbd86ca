package io.spindle.optim.routing;

import io.spindle.optim.Optimizer;
import io.spindle.optim.ParamSlot;

import java.util.function.Predicate;

/**
 * A parameter group, as in the Muon papers' setups (and PyTorch's {@code param_groups}): the
 * parameters {@code selects} accepts are updated by {@code optimizer}, whose own settings carry the
 * group's weight decay, at the run's learning rate times {@code lrMultiplier}.
 *
 * @param name         names the group in logs and prefixes its state tensors ({@code <name>/...})
 * @param description  which parameters the group takes, in words, for error messages
 */
public record ParameterGroup(String name, String description, Predicate<ParamSlot> selects,
                             Optimizer optimizer, double lrMultiplier) {
    public ParameterGroup {
        if (name == null || name.isEmpty() || name.contains("/")) {
            throw new IllegalArgumentException("parameter group name '" + name + "' must be non-empty and contain no '/'");
        }
        if (selects == null || optimizer == null) {
            throw new IllegalArgumentException("parameter group " + name + " needs a selector and an optimizer");
        }
        if (!(lrMultiplier >= 0 && Double.isFinite(lrMultiplier))) {
            throw new IllegalArgumentException("parameter group " + name + " lrMultiplier=" + lrMultiplier
                    + " must be >= 0 and finite");
        }
    }

    /**
     * The hidden weight matrices: role {@code matrix} and 2-D. Muon and its relatives are defined for
     * these only; embeddings and the head are matrices too but are trained with AdamW, as in the
     * Muon write-up and the NorMuon and AuON experiments.
     */
    public static ParameterGroup hiddenMatrices(String name, Optimizer optimizer, double lrMultiplier) {
        return new ParameterGroup(name, "2-D parameters of role " + ParamSlot.MATRIX,
                p -> ParamSlot.MATRIX.equals(p.role()) && p.shape().length == 2, optimizer, lrMultiplier);
    }

    /** Every parameter; put it last so it takes what the groups before it left. */
    public static ParameterGroup everythingElse(String name, Optimizer optimizer, double lrMultiplier) {
        return new ParameterGroup(name, "every other parameter", p -> true, optimizer, lrMultiplier);
    }

    @Override
    public String toString() {
        return name + " (" + description + ", lr x" + lrMultiplier + ")";
    }
}
