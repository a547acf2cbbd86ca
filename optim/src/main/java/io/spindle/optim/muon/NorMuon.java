package io.spindle.optim.muon;

import io.spindle.optim.state.StateFormat;
import io.spindle.optim.ParamSlot;
import io.spindle.optim.math.NeuronNormalization;
import io.spindle.optim.math.NewtonSchulz;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * NorMuon (arXiv:2510.05491, its {@code normuon_update}): Muon's orthogonalized update, then
 * {@link NeuronNormalization} with a second-moment EMA per output neuron (slot
 * {@code second_momentum}, shape [out, 1]), then Muon's shape scale and decoupled weight decay.
 */
public final class NorMuon extends MatrixMomentumOptimizer {
    /** The per-row second-moment slot, named as in the reference and the golden files. */
    public static final String SECOND_MOMENTUM = "second_momentum";

    private final int nsSteps;
    private final double beta2;

    /** Nesterov NorMuon with five Newton–Schulz iterations. */
    public NorMuon(double momentum, double beta2, double weightDecay) {
        this(momentum, true, Muon.DEFAULT_NS_STEPS, beta2, weightDecay);
    }

    public NorMuon(double momentum, boolean nesterov, int nsSteps, double beta2, double weightDecay) {
        this(momentum, nesterov, nsSteps, beta2, weightDecay, StateFormat.DENSE);
    }

    /** NorMuon whose momentum is stored in {@code format}; the per-neuron second moment stays float32. */
    public NorMuon(double momentum, boolean nesterov, int nsSteps, double beta2, double weightDecay,
                   StateFormat format) {
        super("NorMuon", momentum, nesterov, weightDecay, new String[] {SECOND_MOMENTUM}, new boolean[] {true},
                format);
        if (nsSteps < 1) {
            throw new IllegalArgumentException("NorMuon nsSteps=" + nsSteps + " must be >= 1");
        }
        if (!(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("NorMuon beta2=" + beta2 + " must be in [0, 1)");
        }
        this.nsSteps = nsSteps;
        this.beta2 = beta2;
    }

    @Override
    protected INDArray direction(ParamSlot p, INDArray u, INDArray[] slots) {
        INDArray o = NewtonSchulz.orthogonalize(u, nsSteps);
        return NeuronNormalization.normalize(o, slots[1], beta2).muli(shapeScale(p));
    }
}
