package io.spindle.optim.muon;

import io.spindle.optim.state.StateFormat;
import io.spindle.optim.StoredStateOptimizer;
import io.spindle.optim.ParamSlot;
import io.spindle.optim.state.StateStore;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Arrays;
import java.util.List;

/**
 * What Muon, NorMuon and AuON share: they only take 2-D weight matrices [out, in], keep a momentum
 * buffer per matrix (slot {@code momentum}, the first slot of the state), feed its Nesterov form U
 * to a per-family {@link #direction} and apply decoupled weight decay,
 * {@code w = w (1 - lr wd) - lr D}. Subclasses only say how U becomes the direction D. A
 * tensor-parallel slice ({@link ParamSlot#slices()}) gets the slice of the whole matrix's direction.
 */
public abstract class MatrixMomentumOptimizer extends StoredStateOptimizer {
    /** The momentum buffer's slot name, as in the reference code and the golden files. */
    public static final String MOMENTUM = "momentum";

    private final String family;
    private final double momentum;
    private final boolean nesterov;
    private final double weightDecay;

    /**
     * @param family     the optimizer's name, for error messages
     * @param momentum   beta in M = M + (1 - beta)(g - M)
     * @param nesterov   whether U = g + beta (M - g) (Nesterov, the default everywhere) or U = M
     * @param extraSlots further state slots after {@code momentum}, with their per-row flags
     * @param format     how the state is stored (dense float32 or COAT FP8)
     */
    protected MatrixMomentumOptimizer(String family, double momentum, boolean nesterov, double weightDecay,
                                      String[] extraSlots, boolean[] extraPerRow, StateFormat format) {
        super(store(family, momentum, weightDecay, extraSlots, extraPerRow, format));
        this.family = family;
        this.momentum = momentum;
        this.nesterov = nesterov;
        this.weightDecay = weightDecay;
    }

    /** The state store ({@code momentum} first, then the extra slots), once the hyperparameters are valid. */
    private static StateStore store(String family, double momentum, double weightDecay, String[] extraSlots,
                                    boolean[] extraPerRow, StateFormat format) {
        if (!(momentum >= 0 && momentum < 1)) {
            throw new IllegalArgumentException(family + " momentum=" + momentum + " must be in [0, 1)");
        }
        if (!(weightDecay >= 0 && Double.isFinite(weightDecay))) {
            throw new IllegalArgumentException(family + " weightDecay=" + weightDecay + " must be >= 0 and finite");
        }
        String[] slots = new String[extraSlots.length + 1];
        boolean[] perRow = new boolean[extraSlots.length + 1];
        slots[0] = MOMENTUM;
        System.arraycopy(extraSlots, 0, slots, 1, extraSlots.length);
        System.arraycopy(extraPerRow, 0, perRow, 1, extraPerRow.length);
        return format.create(slots, perRow);
    }

    /**
     * The direction D of one matrix's step, from the momentum's Nesterov form {@code u} (a new array
     * the method may overwrite); {@code slots} are this parameter's state, momentum first.
     */
    protected abstract INDArray direction(ParamSlot p, INDArray u, INDArray[] slots);

    @Override
    public final void step(List<ParamSlot> params, double lr) {
        if (!(lr >= 0 && Double.isFinite(lr))) {
            throw new IllegalArgumentException("learning rate " + lr + " must be >= 0 and finite");
        }
        for (ParamSlot p : params) {
            requireMatrix(family, p);
        }
        StateStore.Step step = state.open(params);
        for (int i = 0; i < params.size(); i++) {
            ParamSlot p = params.get(i);
            INDArray[] slots = step.slots(i);
            INDArray u = nesterovMomentum(slots[0], p.grad(), momentum, nesterov);
            INDArray d = p.slices().whole() ? direction(p, u, slots) : sliceOfWholeDirection(p, u, slots);
            // Decoupled decay (Loshchilov & Hutter), as the Muon and AuON reference code apply it.
            step.weights(i, p).muli(1 - lr * weightDecay).subi(d.muli(lr));
            step.commit(i);
        }
        state.advance();
    }

    /**
     * A tensor-parallel slice's direction: the whole matrix's U gathered from every holder, its
     * direction computed on it (every holder computes the same), and this slice cut back out. State
     * beyond the momentum (NorMuon's, AuON's per-row statistics) is kept per slice, which would not be
     * the whole matrix's, so those optimizers refuse a slice.
     */
    private INDArray sliceOfWholeDirection(ParamSlot p, INDArray u, INDArray[] slots) {
        if (slots.length > 1) {
            throw new IllegalArgumentException(family + " keeps per-row state, which a tensor-parallel slice of "
                    + p.name() + " cannot hold for the whole matrix; use muon, adamw or lamb with parallel.tp > 1");
        }
        INDArray whole = p.slices().gather(u);
        ParamSlot wholeSlot = new ParamSlot(p.name(), whole.shape(), p.role(), whole, whole);
        return p.slices().cut(direction(wholeSlot, whole, slots));
    }

    /**
     * Updates the momentum {@code m} in place, M = M + (1 - beta)(g - M), and returns a new array
     * U = g + beta (M - g) (Nesterov: the gradient pulled towards the new momentum), or a copy of M.
     */
    public static INDArray nesterovMomentum(INDArray m, INDArray g, double beta, boolean nesterov) {
        m.addi(g.sub(m).muli(1 - beta));
        return nesterov ? m.sub(g).muli(beta).addi(g) : m.dup('c');
    }

    /** Muon's shape scale sqrt(max(1, out/in)): keeps the RMS of a tall matrix's update like a square one's. */
    public static double shapeScale(ParamSlot p) {
        long[] s = p.shape();
        return Math.sqrt(Math.max(1.0, (double) s[0] / s[1]));
    }

    /** Rejects a parameter that is not a 2-D [out, in] matrix, naming it. */
    public static void requireMatrix(String family, ParamSlot p) {
        if (p.shape().length != 2) {
            throw new IllegalArgumentException(family + " only updates 2-D weight matrices [out, in], but parameter "
                    + p.name() + " has shape " + Arrays.toString(p.shape()) + " (role " + p.role()
                    + "); route it to AdamW");
        }
    }
}
