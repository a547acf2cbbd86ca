package io.spindle.optim.muon;

import io.spindle.optim.state.StateFormat;
import io.spindle.optim.ParamSlot;
import io.spindle.optim.math.NewtonSchulz;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Muon (Keller Jordan et al. 2024, {@code muon.py}'s {@code muon_update}): Nesterov momentum, then
 * NS5 orthogonalization, then the shape scale sqrt(max(1, out/in)), with decoupled weight decay:
 * <pre>
 * M = M + (1 - beta)(g - M);  U = g + beta (M - g)
 * w = w (1 - lr wd) - lr sqrt(max(1, out/in)) NS_k(U)
 * </pre>
 */
public final class Muon extends MatrixMomentumOptimizer {
    /** The reference's five Newton–Schulz iterations. */
    public static final int DEFAULT_NS_STEPS = 5;

    private final int nsSteps;

    /** Nesterov Muon with five Newton–Schulz iterations. */
    public Muon(double momentum, double weightDecay) {
        this(momentum, true, DEFAULT_NS_STEPS, weightDecay);
    }

    public Muon(double momentum, boolean nesterov, int nsSteps, double weightDecay) {
        this(momentum, nesterov, nsSteps, weightDecay, StateFormat.DENSE);
    }

    /** Muon whose momentum is stored in {@code format} (dense float32 or COAT FP8). */
    public Muon(double momentum, boolean nesterov, int nsSteps, double weightDecay, StateFormat format) {
        super("Muon", momentum, nesterov, weightDecay, new String[0], new boolean[0], format);
        if (nsSteps < 1) {
            throw new IllegalArgumentException("Muon nsSteps=" + nsSteps + " must be >= 1");
        }
        this.nsSteps = nsSteps;
    }

    @Override
    protected INDArray direction(ParamSlot p, INDArray u, INDArray[] slots) {
        return NewtonSchulz.orthogonalize(u, nsSteps).muli(shapeScale(p));
    }
}
