package io.spindle.optim.auon;

import io.spindle.optim.state.StateFormat;
import io.spindle.optim.ParamSlot;
import io.spindle.optim.math.NewtonSchulz;
import io.spindle.optim.muon.MatrixMomentumOptimizer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Hybrid-AuON: the AuON paper's variant that "applies a single Newton–Schulz iteration" before the
 * cosh normalization. The authors published no code; following the golden README, U is replaced
 * by NS_k(U) (k = 1 by default) and the step is then {@link AuOn}'s, in either {@link AuOn.Form}.
 */
public final class HybridAuOn extends MatrixMomentumOptimizer {
    /** The paper's single Newton–Schulz iteration. */
    public static final int DEFAULT_NS_STEPS = 1;

    private final AuOn.Form form;
    private final double gamma;
    private final int nsSteps;

    /** Paper-form Hybrid-AuON with one Newton–Schulz iteration. */
    public HybridAuOn(double momentum, double weightDecay) {
        this(AuOn.Form.PAPER, momentum, weightDecay, 1.0, DEFAULT_NS_STEPS);
    }

    /** @param gamma see {@link AuOn#AuOn(AuOn.Form, double, double, double)} */
    public HybridAuOn(AuOn.Form form, double momentum, double weightDecay, double gamma, int nsSteps) {
        this(form, momentum, weightDecay, gamma, nsSteps, StateFormat.DENSE);
    }

    /** Hybrid-AuON whose momentum is stored in {@code format} (dense float32 or COAT FP8). */
    public HybridAuOn(AuOn.Form form, double momentum, double weightDecay, double gamma, int nsSteps,
                      StateFormat format) {
        super("Hybrid-AuON", momentum, true, weightDecay, new String[0], new boolean[0], format);
        if (nsSteps < 1) {
            throw new IllegalArgumentException("Hybrid-AuON nsSteps=" + nsSteps + " must be >= 1");
        }
        this.form = AuOn.requireForm(form, gamma);
        this.gamma = gamma;
        this.nsSteps = nsSteps;
    }

    @Override
    protected INDArray direction(ParamSlot p, INDArray u, INDArray[] slots) {
        return AuOn.step(form, p, NewtonSchulz.orthogonalize(u, nsSteps), gamma);
    }
}
