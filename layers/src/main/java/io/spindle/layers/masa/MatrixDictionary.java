package io.spindle.layers.masa;

import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.Parameter;
import io.spindle.layers.core.ParameterRole;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.core.ShardLayout;
import io.spindle.layers.core.TensorSlice;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * MASA's shared dictionary for one projection type (Zhussip et al. 2025, "Share Your Attention"):
 * {@code atoms} matrices of shape [out, in] shared by all {@code layers}, and per-layer mixing
 * coefficients, so layer l's weight is {@code W_l = sum_s coefficients[l, s] atom_s}.
 *
 * <p>Parameters: {@code name.atom<s>} [out, in], role ATOM (2-D, so an optimizer can treat each
 * atom as a matrix), and {@code name.coefficients} [layers, atoms], role COEFFICIENT. The atoms are
 * registered one after another, so in the flat buffer they form one [atoms, out*in] row-major
 * block: a layer's weight is a single (1 × atoms)·(atoms × out*in) product over it.
 *
 * <p>When the parameter set holds the same slice of every atom (tensor parallelism: rows for q, k
 * and v, columns for o), {@link #out()} and {@link #in()} are the slice's widths, every layer's weight
 * is that slice of W_l, and {@link DictionaryLinear} completes what a slice cannot compute alone.
 */
public final class MatrixDictionary {
    private final String name;
    private final int layers;
    private final int out;
    private final int in;
    private final ShardLayout layout;
    private final TensorSlice slice;
    private final Parameter[] atoms;
    private final Parameter coefficients;
    private boolean contiguous;

    /**
     * Atoms drawn from {@code atomInit}; coefficients from {@code coefficientInit} (e.g. normal with
     * std 1/sqrt(atoms), which gives each initial W_l entries of the atoms' scale).
     */
    public MatrixDictionary(ParameterSet params, String name, int layers, int atoms, int out, int in,
                            Initializer atomInit, Initializer coefficientInit) {
        if (layers <= 0 || atoms <= 0 || out <= 0 || in <= 0) {
            throw new IllegalArgumentException(name + ": layers=" + layers + ", atoms=" + atoms + ", out=" + out + ", in="
                    + in + " must all be positive");
        }
        this.name = name;
        this.layers = layers;
        this.atoms = new Parameter[atoms];
        for (int s = 0; s < atoms; s++) {
            this.atoms[s] = params.add(atomName(name, s), new long[] {out, in}, ParameterRole.ATOM, atomInit);
            if (!this.atoms[s].slice().equals(this.atoms[0].slice())) {
                throw new IllegalArgumentException(name + ": atom " + s + " is sliced as " + this.atoms[s].slice()
                        + " but atom 0 as " + this.atoms[0].slice() + "; split every atom of a dictionary alike");
            }
        }
        this.out = (int) this.atoms[0].shape()[0];
        this.in = (int) this.atoms[0].shape()[1];
        this.layout = params.layout();
        this.slice = this.atoms[0].slice();
        this.coefficients = params.add(coefficientsName(name), new long[] {layers, atoms}, ParameterRole.COEFFICIENT,
                coefficientInit);
    }

    public static String atomName(String name, int atom) { return name + ".atom" + atom; }

    public static String coefficientsName(String name) { return name + ".coefficients"; }

    public String name() { return name; }

    public int layers() { return layers; }

    public int atomCount() { return atoms.length; }

    public int out() { return out; }

    public int in() { return in; }

    public Parameter atom(int s) { return atoms[s]; }

    public Parameter coefficients() { return coefficients; }

    /** Whether the atoms hold a slice of their rows (outputs): the input gradient is a partial sum. */
    boolean slicesOutputs() { return !slice.isWhole() && slice.dim() == 0; }

    /** Whether the atoms hold a slice of their columns (inputs): the output is a partial sum. */
    boolean slicesInputs() { return !slice.isWhole() && slice.dim() == 1; }

    /** The reductions over the holders of the other slices. */
    ShardLayout layout() { return layout; }

    /**
     * Atom 0's value view, which the weight synthesis reads as the whole [atoms, out*in] block
     * (BLAS reads past the view, along the flat buffer). Checks once that the atoms really are
     * consecutive there.
     */
    INDArray atomBlock() {
        requireContiguousAtoms();
        return atoms[0].value();
    }

    /** Atom 0's gradient view, the start of the [atoms, out*in] gradient block. */
    INDArray atomGradBlock() {
        requireContiguousAtoms();
        return atoms[0].grad();
    }

    private void requireContiguousAtoms() {
        if (contiguous) return;
        long size = (long) out * in;
        for (int s = 1; s < atoms.length; s++) {
            if (atoms[s].offset() != atoms[0].offset() + s * size) {
                throw new IllegalStateException(name + ": atoms are not consecutive in the parameter buffer (atom " + s
                        + " at " + atoms[s].offset() + ", expected " + (atoms[0].offset() + s * size) + ")");
            }
        }
        contiguous = true;
    }

    /** Scalars stored: atoms·out·in + layers·atoms. */
    public long parameterCount() {
        return (long) atoms.length * out * in + (long) layers * atoms.length;
    }
}
