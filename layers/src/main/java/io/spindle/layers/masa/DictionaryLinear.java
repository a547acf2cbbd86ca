package io.spindle.layers.masa;

import io.spindle.layers.core.Blas;
import io.spindle.layers.core.Buffers;
import io.spindle.layers.core.Projection;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Layer l's projection {@code y = x W_l^T} with {@code W_l = sum_s c[l, s] A_s} taken from a
 * {@link MatrixDictionary}. Forward synthesizes W_l into a scratch matrix (one product over the
 * atom block), then multiplies; backward forms dW_l and sends it to the atoms and coefficients:
 * {@code dA_s += c[l, s] dW_l} (one rank-1 product over the atom block) and
 * {@code dc[l, s] += <A_s, dW_l>} (one product with the atom block).
 *
 * <p>On a tensor-parallel slice of the atoms ({@link MatrixDictionary}) W_l is that slice: a slice of
 * the columns sums the holders' partial outputs, a slice of the rows completes the input gradient
 * ({@link #completeInputGradient}), and since {@code <A_s, dW_l>} runs over the whole matrix each
 * holder's part of the coefficients' gradient is summed over the holders before it is added.
 */
public final class DictionaryLinear implements Projection {
    private final MatrixDictionary dict;
    private final int layer;
    private final int size;
    private INDArray weight;
    private INDArray weightGrad;
    private INDArray x;
    private INDArray y;
    private INDArray dx;
    private INDArray coefficientGrad;

    public DictionaryLinear(MatrixDictionary dict, int layer) {
        if (layer < 0 || layer >= dict.layers()) {
            throw new IllegalArgumentException(dict.name() + ": layer " + layer + " is outside [0, " + dict.layers() + ")");
        }
        this.dict = dict;
        this.layer = layer;
        this.size = dict.out() * dict.in();
    }

    @Override
    public int inWidth() { return dict.in(); }

    @Override
    public int outWidth() { return dict.out(); }

    /** W_l as computed by the last forward (or now, if none ran yet), [out, in], owned by this layer. */
    public INDArray weight() {
        synthesize();
        return weight;
    }

    private void synthesize() {
        weight = Buffers.reuse(weight, dict.out(), dict.in());
        INDArray atoms = dict.atomBlock();
        INDArray c = dict.coefficients().value();
        int s = dict.atomCount();
        // W_l (1 × out*in) = c[l, :] (1 × S) · atoms (S × out*in)
        Blas.gemm(false, false, 1, size, s, 1f, c, c.offset() + (long) layer * s, s,
                atoms, atoms.offset(), size, 0f, weight, weight.offset(), size);
    }

    /** x: [rows, in] → y: [rows, out], owned by this layer; x is kept for backward. */
    @Override
    public INDArray forward(INDArray x) {
        if (x.rank() != 2 || x.size(1) != dict.in()) {
            throw new IllegalArgumentException(dict.name() + " layer " + layer + ": input has shape "
                    + java.util.Arrays.toString(x.shape()) + ", expected [rows, " + dict.in() + "]");
        }
        synthesize();
        this.x = x;
        y = Buffers.reuse(y, x.size(0), dict.out());
        Blas.gemm(false, true, 1f, x, weight, 0f, y);
        if (dict.slicesInputs()) dict.layout().sumPartials(y); // each slice of the inputs gave a partial sum
        return y;
    }

    public INDArray backward(INDArray dy) {
        dx = Buffers.reuse(dx, dy.size(0), dict.in());
        backward(dy, dx, false);
        completeInputGradient(dx);
        return dx;
    }

    @Override
    public void completeInputGradient(INDArray dx) {
        if (dict.slicesOutputs()) dict.layout().sumPartials(dx);
    }

    /** As {@link #backward(INDArray)}, writing dx into (or, with {@code accumulate}, adding it to) the caller's dx. */
    @Override
    public void backward(INDArray dy, INDArray dx, boolean accumulate) {
        if (x == null) throw new IllegalStateException(dict.name() + " layer " + layer + ": backward() before forward()");
        weightGrad = Buffers.reuse(weightGrad, dict.out(), dict.in());
        Blas.gemm(true, false, 1f, dy, x, 0f, weightGrad);
        Blas.gemm(false, false, 1f, dy, weight, accumulate ? 1f : 0f, dx);
        INDArray c = dict.coefficients().value();
        INDArray dc = dict.coefficients().grad();
        INDArray atoms = dict.atomBlock();
        INDArray dAtoms = dict.atomGradBlock();
        int s = dict.atomCount();
        long row = (long) layer * s;
        // dA (S × out*in) += c[l, :]^T (S × 1) · dW_l (1 × out*in)
        Blas.gemm(true, false, s, size, 1, 1f, c, c.offset() + row, s,
                weightGrad, weightGrad.offset(), size, 1f, dAtoms, dAtoms.offset(), size);
        // dc[l, :] (1 × S) += dW_l (1 × out*in) · A^T (out*in × S)
        if (!dict.slicesOutputs() && !dict.slicesInputs()) {
            Blas.gemm(false, true, 1, s, size, 1f, weightGrad, weightGrad.offset(), size,
                    atoms, atoms.offset(), size, 1f, dc, dc.offset() + row, s);
            return;
        }
        // over a slice: this holder's part of the products, summed over the holders, then added
        coefficientGrad = Buffers.reuse(coefficientGrad, 1, s);
        Blas.gemm(false, true, 1, s, size, 1f, weightGrad, weightGrad.offset(), size,
                atoms, atoms.offset(), size, 0f, coefficientGrad, coefficientGrad.offset(), s);
        dict.layout().sumPartials(coefficientGrad);
        java.nio.FloatBuffer to = Buffers.floats(dc);
        java.nio.FloatBuffer part = Buffers.floats(coefficientGrad);
        for (int j = 0; j < s; j++) {
            int at = (int) (dc.offset() + row + j);
            to.put(at, to.get(at) + part.get((int) coefficientGrad.offset() + j));
        }
    }
}
