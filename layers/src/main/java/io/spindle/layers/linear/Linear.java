package io.spindle.layers.linear;

import io.spindle.layers.core.Blas;
import io.spindle.layers.core.Buffers;
import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.Parameter;
import io.spindle.layers.core.ParameterRole;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.core.Projection;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A bias-free linear map {@code y = x W^T} with W stored {@code [out, in]} (rows are output
 * neurons, as in PyTorch and the golden vectors). Each product is one BLAS call over all rows.
 */
public final class Linear implements Projection {
    private final Parameter weight;
    private final int in;
    private final int out;
    private INDArray x;
    private INDArray y;
    private INDArray dx;

    /** Registers {@code name} with shape {@code [out, in]}. */
    public Linear(ParameterSet params, String name, int in, int out, ParameterRole role, Initializer init) {
        this.in = in;
        this.out = out;
        this.weight = params.add(name, new long[] {out, in}, role, init);
    }

    public Parameter weight() { return weight; }

    public int in() { return in; }

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
        return y;
    }

    /** dW += dy^T x; returns dx = dy W: [rows, in], owned by this layer. */
    public INDArray backward(INDArray dy) {
        dx = Buffers.reuse(dx, dy.size(0), in);
        backward(dy, dx, false);
        return dx;
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
