package io.spindle.layers.linear;

import io.spindle.layers.core.Blas;
import io.spindle.layers.core.Buffers;
import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.Parameter;
import io.spindle.layers.core.ParameterRole;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.core.Projection;
import io.spindle.layers.core.ShardLayout;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A bias-free linear map {@code y = x W^T} with W stored {@code [out, in]} (rows are output
 * neurons, as in PyTorch and the golden vectors). Each product is one BLAS call over all rows.
 *
 * <p>When the parameter set's layout gives W as a slice, the layer computes with the slice's
 * widths: a slice of the output rows (column-parallel) yields those output columns and partial
 * input gradients ({@link #completeInputGradient}); a slice of the input columns (row-parallel)
 * reads the matching columns of x and sums the partial outputs over the slices in forward.
 */
public final class Linear implements Projection {
    private final Parameter weight;
    private final ShardLayout layout;
    private final boolean slicedOutputs;
    private final boolean slicedInputs;
    private final int in;
    private final int out;
    private INDArray x;
    private INDArray y;
    private INDArray dx;

    /** Registers {@code name} with logical shape {@code [out, in]}; computes with the slice the layout gives. */
    public Linear(ParameterSet params, String name, int in, int out, ParameterRole role, Initializer init) {
        this.weight = params.add(name, new long[] {out, in}, role, init);
        this.layout = params.layout();
        long[] held = weight.shape();
        this.out = (int) held[0];
        this.in = (int) held[1];
        this.slicedOutputs = !weight.slice().isWhole() && weight.slice().dim() == 0;
        this.slicedInputs = !weight.slice().isWhole() && weight.slice().dim() == 1;
    }

    public Parameter weight() { return weight; }

    /** Input width this layer reads (the slice's when the inputs are sliced). */
    public int in() { return in; }

    /** Output width this layer writes (the slice's when the outputs are sliced). */
    public int out() { return out; }

    @Override
    public int inWidth() { return in; }

    @Override
    public int outWidth() { return out; }

    /** x: [rows, in] → y: [rows, out], owned by this layer; x is kept for {@link #backward}. */
    @Override
    public INDArray forward(INDArray x) {
        this.x = x;
        y = Buffers.reuse(y, x.size(0), out);
        Blas.gemm(false, true, 1f, x, weight.value(), 0f, y);
        if (slicedInputs) layout.sumPartials(y); // each slice of the inputs gave a partial sum
        return y;
    }

    /**
     * dW += dy^T x; returns dx = dy W: [rows, in], owned by this layer, complete (summed over output
     * slices): this layer is the only one reading its input.
     */
    public INDArray backward(INDArray dy) {
        dx = Buffers.reuse(dx, dy.size(0), in);
        backward(dy, dx, false);
        completeInputGradient(dx);
        return dx;
    }

    @Override
    public void completeInputGradient(INDArray dx) {
        if (slicedOutputs) layout.sumPartials(dx);
    }

    /**
     * dW += dy^T x, and dx = dy W written into (or, with {@code accumulate}, added to) the
     * caller's {@code dx}, so a layer whose input feeds several projections sums their input
     * gradients inside BLAS instead of in a separate pass.
     */
    @Override
    public void backward(INDArray dy, INDArray dx, boolean accumulate) {
        if (x == null) throw new IllegalStateException(weight.name() + ": backward() before forward()");
        Blas.gemm(true, false, 1f, dy, x, 1f, weight.grad());
        Blas.gemm(false, false, 1f, dy, weight.value(), accumulate ? 1f : 0f, dx);
    }
}
