package io.spindle.parallel.train;

import io.spindle.optim.state.StateFormat;
import io.spindle.optim.Optimizer;
import io.spindle.optim.adamw.AdamW;
import io.spindle.optim.auon.AuOn;
import io.spindle.optim.auon.HybridAuOn;
import io.spindle.optim.lamb.Lamb;
import io.spindle.optim.offload.OffloadWindow;
import io.spindle.optim.muon.Muon;
import io.spindle.optim.muon.NorMuon;
import io.spindle.optim.routing.GroupLearningRate;
import io.spindle.optim.routing.OptimizerRouter;

/** Builds the optimizer a run's config asks for (see {@link OptimizerConfig}). */
public final class Optimizers {
    private Optimizers() {}

    /**
     * The optimizer, owned by the caller, who closes it: with {@code optim.offload.enabled} its state
     * lives in scratch files streamed through an off-heap window that the optimizer holds until then.
     */
    public static Optimizer create(OptimizerConfig o, TrainingConfig t) {
        if (!o.offload().enabled()) return create(o, t, o.stateFormat());
        // The window's first reference is ours; every store retains its own, so ours goes here.
        try (OffloadWindow window = OffloadWindow.open(o.offload())) {
            return create(o, t, o.stateFormat().offloadedThrough(window));
        }
    }

    private static Optimizer create(OptimizerConfig o, TrainingConfig t, StateFormat format) {
        return switch (o.name()) {
            case "adamw" -> adamw(t, format);
            case "lamb" -> new Lamb(t.beta1(), t.beta2(), t.eps(), t.weightDecay(), AdamW.DEFAULT_DECAYED_ROLES, format);
            default -> OptimizerRouter.matricesAndRest(matrixOptimizer(o, format), o.matrixLearningRate(t),
                    adamw(t, format), GroupLearningRate.scaled(1.0));
        };
    }

    /** Built only where used: an offloaded store holds its window from construction on. */
    private static AdamW adamw(TrainingConfig t, StateFormat format) {
        return new AdamW(t.beta1(), t.beta2(), t.eps(), t.weightDecay(), AdamW.DEFAULT_DECAYED_ROLES, format);
    }

    /** The Muon-family optimizer for the 2-D hidden matrices. */
    private static Optimizer matrixOptimizer(OptimizerConfig o, StateFormat state) {
        AuOn.Form form = o.form().equals("package") ? AuOn.Form.PACKAGE : AuOn.Form.PAPER;
        return switch (o.name()) {
            case "muon" -> new Muon(o.momentum(), true, o.nsSteps(), o.matrixWeightDecay(), state);
            case "normuon" -> new NorMuon(o.momentum(), true, o.nsSteps(), o.normuonBeta2(), o.matrixWeightDecay(),
                    state);
            case "auon" -> new AuOn(form, o.momentum(), o.matrixWeightDecay(), o.auonGamma(), state);
            // Hybrid-AuON: one Newton–Schulz iteration before AuON's normalization (golden README).
            case "hybrid-auon" -> new HybridAuOn(form, o.momentum(), o.matrixWeightDecay(), o.auonGamma(), 1, state);
            default -> throw new IllegalArgumentException("optim.name=" + o.name() + " is not a Muon-family optimizer");
        };
    }
}
