package io.spindle.parallel.train;

import io.spindle.optim.offload.OffloadConfig;
import io.spindle.optim.routing.GroupLearningRate;
import io.spindle.optim.state.StateFormat;
import java.util.List;
import java.util.Locale;

/**
 * Which optimizer a run uses; config keys {@code optim.<field>}. AdamW and LAMB update every
 * parameter. The Muon family (muon, normuon, auon, hybrid-auon) updates the 2-D hidden matrices,
 * while embeddings, the LM head, norms and 1-D parameters go to AdamW with {@code train.lr} and
 * {@code train.weightDecay}, as the Muon reference does.
 *
 * @param name              adamw, lamb, muon, normuon, auon or hybrid-auon
 * @param form              paper or package: which published AuON form (auon, hybrid-auon)
 * @param momentum          the Muon family's momentum (beta)
 * @param nsSteps           Newton–Schulz iterations (muon, normuon; hybrid-auon uses its own single one)
 * @param normuonBeta2      NorMuon's second-moment decay
 * @param auonGamma         the package form's gamma
 * @param matrixLrScale     learning rate of the matrix group as a multiple of train.lr
 * @param matrixWeightDecay decoupled weight decay of the matrix group
 * @param matrixWarmupSteps warmup steps of the matrix group's own schedule; -1 follows train.warmupSteps
 * @param matrixFinalLrFraction the matrix group's final learning rate as a fraction of its peak
 *                          (train.lr × matrixLrScale); -1 follows train.minLr / train.lr. With both
 *                          at -1 the group runs on the run's schedule times matrixLrScale, exactly
 *                          as before these keys existed
 * @param stateFormat       how every group's optimizer state is stored: dense float32 or COAT FP8
 *                          ({@code optim.state}, {@code optim.coatGroupSize})
 * @param offload           whether that state and the fp32 master weights live in SSD files
 *                          (Fuyou, {@code optim.offload.*})
 */
public record OptimizerConfig(String name, String form, double momentum, int nsSteps, double normuonBeta2,
                              double auonGamma, double matrixLrScale, double matrixWeightDecay,
                              int matrixWarmupSteps, double matrixFinalLrFraction,
                              StateFormat stateFormat, OffloadConfig offload) {
    public static final List<String> NAMES = List.of("adamw", "lamb", "muon", "normuon", "auon", "hybrid-auon");
    /** The value of optim.matrixWarmupSteps and optim.matrixFinalLrFraction that means "as the run's schedule". */
    public static final int FOLLOW_RUN = -1;

    public OptimizerConfig {
        name = name.toLowerCase(Locale.ROOT);
        if (!NAMES.contains(name)) {
            throw new IllegalArgumentException("optim.name=\"" + name + "\" is unknown; choose one of " + NAMES);
        }
        form = form.toLowerCase(Locale.ROOT);
        if (!form.equals("paper") && !form.equals("package")) {
            throw new IllegalArgumentException("optim.form=\"" + form + "\" must be paper or package");
        }
        if (!(momentum >= 0 && momentum < 1)) {
            throw new IllegalArgumentException("optim.momentum=" + momentum + " must be in [0, 1), e.g. 0.95");
        }
        if (nsSteps < 1 || nsSteps > 20) {
            throw new IllegalArgumentException("optim.nsSteps=" + nsSteps + " must be in 1..20 (5 is the reference)");
        }
        if (!(normuonBeta2 >= 0 && normuonBeta2 < 1)) {
            throw new IllegalArgumentException("optim.normuonBeta2=" + normuonBeta2 + " must be in [0, 1)");
        }
        if (!(auonGamma > 0)) throw new IllegalArgumentException("optim.auonGamma=" + auonGamma + " must be > 0");
        if (!(matrixLrScale > 0)) {
            throw new IllegalArgumentException("optim.matrixLrScale=" + matrixLrScale + " must be > 0");
        }
        if (matrixWeightDecay < 0) {
            throw new IllegalArgumentException("optim.matrixWeightDecay=" + matrixWeightDecay + " must be >= 0");
        }
        if (matrixWarmupSteps < FOLLOW_RUN) {
            throw new IllegalArgumentException("optim.matrixWarmupSteps=" + matrixWarmupSteps + " must be -1 (follow"
                    + " train.warmupSteps) or a number of steps from 0 to train.steps");
        }
        if (!(matrixFinalLrFraction == FOLLOW_RUN || (matrixFinalLrFraction >= 0 && matrixFinalLrFraction <= 1))) {
            throw new IllegalArgumentException("optim.matrixFinalLrFraction=" + matrixFinalLrFraction + " must be -1"
                    + " (follow train.minLr / train.lr) or in [0, 1]: the matrix group's final learning rate as a"
                    + " fraction of its peak train.lr x optim.matrixLrScale, e.g. 0.1");
        }
        if (stateFormat == null) throw new IllegalArgumentException("optim.state is missing; use dense or coat");
        if (stateFormat.offload() != null) {
            throw new IllegalArgumentException("optim.state names a format, not a window; offload is optim.offload.*");
        }
        if (offload == null) offload = OffloadConfig.DISABLED;
    }

    /** The matrix group on the run's schedule (matrixWarmupSteps and matrixFinalLrFraction at -1). */
    public OptimizerConfig(String name, String form, double momentum, int nsSteps, double normuonBeta2,
                           double auonGamma, double matrixLrScale, double matrixWeightDecay,
                           StateFormat stateFormat, OffloadConfig offload) {
        this(name, form, momentum, nsSteps, normuonBeta2, auonGamma, matrixLrScale, matrixWeightDecay, FOLLOW_RUN,
                FOLLOW_RUN, stateFormat, offload);
    }

    /** In memory (no offload). */
    public OptimizerConfig(String name, String form, double momentum, int nsSteps, double normuonBeta2,
                           double auonGamma, double matrixLrScale, double matrixWeightDecay,
                           StateFormat stateFormat) {
        this(name, form, momentum, nsSteps, normuonBeta2, auonGamma, matrixLrScale, matrixWeightDecay, stateFormat,
                OffloadConfig.DISABLED);
    }

    /** With dense float32 state. */
    public OptimizerConfig(String name, String form, double momentum, int nsSteps, double normuonBeta2,
                           double auonGamma, double matrixLrScale, double matrixWeightDecay) {
        this(name, form, momentum, nsSteps, normuonBeta2, auonGamma, matrixLrScale, matrixWeightDecay,
                StateFormat.DENSE);
    }

    /**
     * Throws {@link IllegalArgumentException} when the matrix group's schedule does not fit the run
     * {@code t}: its warmup must end by train.steps, as the run's own must.
     */
    public void checkAgainst(TrainingConfig t) {
        if (matrixWarmupSteps > t.steps()) {
            throw new IllegalArgumentException("optim.matrixWarmupSteps=" + matrixWarmupSteps + " exceeds train.steps="
                    + t.steps() + ": the matrix group would still be warming up when the run ends; set"
                    + " optim.matrixWarmupSteps to at most " + t.steps() + ", or to -1 to follow train.warmupSteps="
                    + t.warmupSteps());
        }
    }

    /**
     * The matrix group's learning rate in the run {@code t}: the run's schedule times matrixLrScale
     * while matrixWarmupSteps and matrixFinalLrFraction are both -1; otherwise a schedule of the
     * run's shape peaking at train.lr × matrixLrScale, with the group's warmup and final fraction
     * (each one left at -1 taken from the run's).
     */
    public GroupLearningRate matrixLearningRate(TrainingConfig t) {
        if (matrixWarmupSteps == FOLLOW_RUN && matrixFinalLrFraction == FOLLOW_RUN) {
            // kept as run lr x scale, not a rebuilt schedule, so default configs step bit-identically as before
            return GroupLearningRate.scaled(matrixLrScale);
        }
        checkAgainst(t);
        double peak = t.lr() * matrixLrScale;
        int warmup = matrixWarmupSteps == FOLLOW_RUN ? t.warmupSteps() : matrixWarmupSteps;
        double fraction = matrixFinalLrFraction == FOLLOW_RUN ? t.minLr() / t.lr() : matrixFinalLrFraction;
        return GroupLearningRate.own(t.schedule(peak, warmup, peak * fraction));
    }

    /** AdamW with the defaults: what a config without an {@code optim} section trains with. */
    public static OptimizerConfig adamw() {
        return new OptimizerConfig("adamw", "paper", 0.95, 5, 0.95, 1.0, 1.0, 0.0);
    }
}
