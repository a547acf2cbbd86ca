package io.spindle.parallel.train;

import io.spindle.layers.core.Parameter;
import io.spindle.layers.core.ParameterSet;
import io.spindle.optim.ParamSlot;
import io.spindle.optim.TensorSlices;
import io.spindle.optim.TensorSums;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * Presents a model's parameters to an optimizer. {@code optim} does not know {@code layers}
 * (sibling leaf modules), so this is where a layer's {@link Parameter} becomes a {@link ParamSlot}
 * with the same name, shape, views and role.
 */
public final class ParameterSlots {
    private ParameterSlots() {}

    /** Slots of a model held whole. */
    public static List<ParamSlot> of(ParameterSet parameters) {
        return of(parameters, p -> TensorSums.WHOLE, p -> TensorSlices.WHOLE);
    }

    /**
     * Slots whose sums over a parameter's elements {@code sums} completes and whose whole tensor
     * {@code slices} gathers (tensor parallelism's slices).
     */
    public static List<ParamSlot> of(ParameterSet parameters, Function<Parameter, TensorSums> sums,
                                     Function<Parameter, TensorSlices> slices) {
        List<ParamSlot> slots = new ArrayList<>();
        for (Parameter p : parameters.parameters()) {
            slots.add(new ParamSlot(p.name(), p.shape(), p.role().name().toLowerCase(Locale.ROOT), p.value(), p.grad(),
                    sums.apply(p), slices.apply(p)));
        }
        return slots;
    }
}
