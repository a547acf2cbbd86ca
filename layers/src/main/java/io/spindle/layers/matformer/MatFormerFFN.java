package io.spindle.layers.matformer;

import io.spindle.layers.core.Blas;
import io.spindle.layers.core.Buffers;
import io.spindle.layers.core.FeedForward;
import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.Parameter;
import io.spindle.layers.core.ParameterRole;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.core.ShardLayout;
import io.spindle.layers.ffn.SwiGLUGate;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.HashMap;
import java.util.Map;

/**
 * MatFormer's nested SwiGLU FFN (Devvrit et al. 2023, §3): granularity m uses only the first m
 * hidden neurons, {@code y = w2[:, :m] (silu(w1[:m] x) * (w3[:m] x))}, so every smaller FFN is a
 * prefix of every larger one and all of them share one set of weights.
 *
 * <p>Parameters {@code prefix.w1|w3} [hidden, dModel] and {@code prefix.w2} [dModel, hidden] have
 * the baseline {@link io.spindle.layers.ffn.SwiGLU}'s names and shapes, so at full width this is
 * that layer and its checkpoint is a SwiGLU checkpoint. A smaller width never copies weights: the
 * products run on sub-blocks of the parameter views (w2[:, :m] has row stride hidden), and
 * backward writes only the active rows/columns of the gradients, so unused neurons get zero.
 *
 * <p>When the parameter set holds a slice of the hidden neurons (w1, w3 by rows and w2 by columns:
 * tensor parallelism), this instance runs the active neurons among its own, possibly none for a small
 * width, and the holders' partial outputs and input gradients are summed over them.
 */
public final class MatFormerFFN implements FeedForward {
    private final int dModel;
    private final int hidden;
    private final Parameter w1;
    private final Parameter w2;
    private final Parameter w3;
    /** The hidden neurons this instance holds: [first, first + held) of the logical [0, hidden). */
    private final int first;
    private final int held;
    private final boolean sliced;
    private final ShardLayout layout;
    /** Per width: sub-block views and activation buffers, kept so alternating widths allocate nothing. */
    private final Map<Integer, Width> widths = new HashMap<>();
    private int width;
    private Width last;
    private INDArray x;
    private INDArray y;
    private INDArray dx;

    /**
     * Registers {@code prefix.w1|w2|w3} (role MATRIX); w2, the output projection, from
     * {@code outputInit}. Starts at full width.
     */
    public MatFormerFFN(ParameterSet params, String prefix, int dModel, int hidden, Initializer init,
                        Initializer outputInit) {
        if (dModel <= 0 || hidden <= 0) {
            throw new IllegalArgumentException(prefix + ": dModel=" + dModel + " and hidden=" + hidden + " must be positive");
        }
        this.dModel = dModel;
        this.hidden = hidden;
        this.w1 = params.add(prefix + ".w1", new long[] {hidden, dModel}, ParameterRole.MATRIX, init);
        this.w2 = params.add(prefix + ".w2", new long[] {dModel, hidden}, ParameterRole.MATRIX, outputInit);
        this.w3 = params.add(prefix + ".w3", new long[] {hidden, dModel}, ParameterRole.MATRIX, init);
        this.width = hidden;
        this.held = (int) w1.shape()[0];
        this.first = (int) w1.slice().start(w1.logicalShape());
        this.sliced = held != hidden;
        this.layout = params.layout();
        if (w3.shape()[0] != held || w2.shape()[1] != held) {
            throw new IllegalArgumentException(prefix + ": w1, w3 rows and w2 columns hold " + held + "/" + w3.shape()[0]
                    + "/" + w2.shape()[1] + " hidden neurons; split all three alike or none");
        }
    }

    public int hidden() { return hidden; }

    /** The number of hidden neurons the next forward uses. */
    public int width() { return width; }

    /**
     * Selects the granularity: the next forward (and its backward) use hidden neurons [0, m).
     * A pending backward still uses the width of its own forward.
     */
    public void useWidth(int m) {
        if (m < 1 || m > hidden) {
            throw new IllegalArgumentException(w1.name() + ": width " + m + " is outside [1, " + hidden
                    + "]; choose a number of hidden neurons up to the FFN's hidden size");
        }
        this.width = m;
    }

    @Override
    public INDArray forward(INDArray x) {
        // x: [rows, dModel]; a = x w1[:m]^T, b = x w3[:m]^T, gated: [rows, m]; y: [rows, dModel]
        if (x.rank() != 2 || x.size(1) != dModel) {
            throw new IllegalArgumentException(w1.name() + ": input has shape " + java.util.Arrays.toString(x.shape())
                    + ", expected [rows, " + dModel + "]");
        }
        Width w = widths.computeIfAbsent(Math.max(0, Math.min(held, width - first)), Width::new);
        long rows = x.size(0);
        this.x = x;
        this.last = w;
        y = Buffers.reuse(y, rows, dModel);
        if (w.m == 0) {
            y.assign(0f);                                   // none of this slice's neurons is active
        } else {
            w.ensureRows(rows);
            Blas.gemm(false, true, 1f, x, w.w1, 0f, w.a);
            Blas.gemm(false, true, 1f, x, w.w3, 0f, w.b);
            SwiGLUGate.forward(w.a, w.b, w.sigmoid, w.gated);
            Blas.gemm(false, true, 1f, w.gated, w.w2, 0f, y);
        }
        if (sliced) layout.sumPartials(y);                  // every slice's active neurons
        return y;
    }

    /** Gradients flow only into the active sub-blocks; dx = da w1[:m] + db w3[:m]. */
    @Override
    public INDArray backward(INDArray dy) {
        if (last == null) throw new IllegalStateException(w1.name() + ": backward() before forward()");
        Width w = last;
        dx = Buffers.reuse(dx, dy.size(0), dModel);
        if (w.m == 0) {
            dx.assign(0f);
        } else {
            Blas.gemm(false, false, 1f, dy, w.w2, 0f, w.dGated);
            Blas.gemm(true, false, 1f, dy, w.gated, 1f, w.dw2);
            SwiGLUGate.backward(w.a, w.b, w.sigmoid, w.dGated, w.da, w.db);
            Blas.gemm(true, false, 1f, w.da, x, 1f, w.dw1);
            Blas.gemm(true, false, 1f, w.db, x, 1f, w.dw3);
            Blas.gemm(false, false, 1f, w.da, w.w1, 0f, dx);
            Blas.gemm(false, false, 1f, w.db, w.w3, 1f, dx);
        }
        if (sliced) layout.sumPartials(dx);                 // every slice's share of the input gradient
        return dx;
    }

    /** One width's views of the active sub-blocks (values and gradients) and its [rows, m] activations. */
    private final class Width {
        final INDArray w1;
        final INDArray w2;
        final INDArray w3;
        final INDArray dw1;
        final INDArray dw2;
        final INDArray dw3;
        private final int m;
        INDArray a;
        INDArray b;
        INDArray sigmoid;
        INDArray gated;
        INDArray dGated;
        INDArray da;
        INDArray db;

        /** {@code m} of this instance's neurons, from its first; none (no views) when 0. */
        Width(int m) {
            this.m = m;
            if (m == 0) {
                this.w1 = this.w2 = this.w3 = this.dw1 = this.dw2 = this.dw3 = null;
                return;
            }
            this.w1 = leadingRows(MatFormerFFN.this.w1.value(), m);
            this.w3 = leadingRows(MatFormerFFN.this.w3.value(), m);
            this.w2 = leadingColumns(MatFormerFFN.this.w2.value(), m);
            this.dw1 = leadingRows(MatFormerFFN.this.w1.grad(), m);
            this.dw3 = leadingRows(MatFormerFFN.this.w3.grad(), m);
            this.dw2 = leadingColumns(MatFormerFFN.this.w2.grad(), m);
        }

        void ensureRows(long rows) {
            a = Buffers.reuse(a, rows, m);
            b = Buffers.reuse(b, rows, m);
            sigmoid = Buffers.reuse(sigmoid, rows, m);
            gated = Buffers.reuse(gated, rows, m);
            dGated = Buffers.reuse(dGated, rows, m);
            da = Buffers.reuse(da, rows, m);
            db = Buffers.reuse(db, rows, m);
        }

        private static INDArray leadingRows(INDArray matrix, int n) {
            return matrix.get(NDArrayIndex.interval(0, n), NDArrayIndex.all());
        }

        private static INDArray leadingColumns(INDArray matrix, int n) {
            return matrix.get(NDArrayIndex.all(), NDArrayIndex.interval(0, n));
        }
    }
}
