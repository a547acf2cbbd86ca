package io.spindle.optim.auon;

import io.spindle.optim.state.StateFormat;
import io.spindle.optim.ParamSlot;
import io.spindle.optim.math.CoshNormalization;
import io.spindle.optim.muon.MatrixMomentumOptimizer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * AuON (arXiv:2509.24320): Muon's Nesterov momentum and decoupled weight decay, with the
 * Newton–Schulz orthogonalization replaced by {@link CoshNormalization}. The paper (and the authors'
 * training script) and the authors' later optimizer class disagree on the step, so both are offered
 * as a {@link Form}; {@link Form#PAPER} is the default.
 */
public final class AuOn extends MatrixMomentumOptimizer {

    /** The two published forms of the AuON step. */
    public enum Form {
        /** w = w (1 - lr wd) - lr sqrt(max(1, out/in)) {@link CoshNormalization#paper}(U). */
        PAPER,
        /** w = w (1 - lr wd) - lr {@link CoshNormalization#packaged}(U, gamma); no shape scale. */
        PACKAGE
    }

    private final Form form;
    private final double gamma;

    /** Paper-form AuON with Nesterov momentum. */
    public AuOn(double momentum, double weightDecay) {
        this(Form.PAPER, momentum, weightDecay, 1.0);
    }

    /** @param gamma the package form's temperature inside cosh; the paper form has none and requires 1 */
    public AuOn(Form form, double momentum, double weightDecay, double gamma) {
        this(form, momentum, weightDecay, gamma, StateFormat.DENSE);
    }

    /** AuON whose momentum is stored in {@code format} (dense float32 or COAT FP8). */
    public AuOn(Form form, double momentum, double weightDecay, double gamma, StateFormat format) {
        super(form == Form.PAPER ? "AuON" : "AuON (package form)", momentum, true, weightDecay,
                new String[0], new boolean[0], format);
        this.form = requireForm(form, gamma);
        this.gamma = gamma;
    }

    @Override
    protected INDArray direction(ParamSlot p, INDArray u, INDArray[] slots) {
        return step(form, p, u, gamma);
    }

    /** The direction of either form from the (possibly pre-transformed) momentum {@code u}. */
    static INDArray step(Form form, ParamSlot p, INDArray u, double gamma) {
        return form == Form.PAPER
                ? CoshNormalization.paper(u).muli(shapeScale(p))
                : CoshNormalization.packaged(u, gamma);
    }

    static Form requireForm(Form form, double gamma) {
        if (form == null) {
            throw new IllegalArgumentException("AuON form must be PAPER or PACKAGE, got null");
        }
        if (form == Form.PAPER && gamma != 1.0) {
            throw new IllegalArgumentException("AuON gamma=" + gamma + " only applies to the PACKAGE form;"
                    + " the paper form normalizes by cosh of X itself (gamma 1)");
        }
        if (!(gamma > 0 && Double.isFinite(gamma))) {
            throw new IllegalArgumentException("AuON gamma=" + gamma + " must be positive and finite");
        }
        return form;
    }
}
