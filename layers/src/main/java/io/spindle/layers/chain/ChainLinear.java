package io.spindle.layers.chain;

import io.spindle.layers.core.Blas;
import io.spindle.layers.core.Buffers;
import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.Parameter;
import io.spindle.layers.core.ParameterRole;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.core.Projection;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A bias-free linear map between chained representations in which output chain j reads only a
 * prefix of the input: the chain layer of CoLM reads input chains 0..j ({@link #causal}); CoLM-Air's
 * key/value projection reads input chain 0 alone ({@link #fromFirstChain}). As a dense
 * {@code [out, in]} matrix it is block lower-triangular (or one block column); here only the
 * blocks that exist are stored, one parameter per output chain,
 * {@code name.chain<j>} of shape {@code [out.size(j), reads(j)]}, so the masked entries take no
 * memory and no optimizer update, a sub-model's first k chains are the first k parameters, and a
 * model grows by one chain by adding one parameter.
 */
public final class ChainLinear implements Projection {
    private final Chains in;
    private final Chains out;
    private final int[] reads;
    private final Parameter[] blocks;
    private INDArray x;
    private INDArray y;
    private INDArray dx;

    private ChainLinear(ParameterSet params, String name, Chains in, Chains out, int[] reads, ParameterRole role,
                        Initializer init) {
        this.in = in;
        this.out = out;
        this.reads = reads;
        this.blocks = new Parameter[out.count()];
        for (int j = 0; j < blocks.length; j++) {
            blocks[j] = params.add(blockName(name, j), new long[] {out.size(j), reads[j]}, role, init);
        }
    }

    /** The parameter name of output chain j's block. */
    public static String blockName(String name, int chain) { return name + ".chain" + chain; }

    /** Output chain j reads input chains 0..j (CoLM's chain layer); in and out have the same chain count. */
    public static ChainLinear causal(ParameterSet params, String name, Chains in, Chains out, ParameterRole role,
                                     Initializer init) {
        requireSameCount(name, in, out);
        int[] reads = new int[out.count()];
        for (int j = 0; j < reads.length; j++) reads[j] = in.offset(j + 1);
        return new ChainLinear(params, name, in, out, reads, role, init);
    }

    /** Every output chain reads input chain 0 only (CoLM-Air: keys and values from the first chain). */
    public static ChainLinear fromFirstChain(ParameterSet params, String name, Chains in, Chains out, ParameterRole role,
                                             Initializer init) {
        requireSameCount(name, in, out);
        int[] reads = new int[out.count()];
        java.util.Arrays.fill(reads, in.size(0));
        return new ChainLinear(params, name, in, out, reads, role, init);
    }

    private static void requireSameCount(String name, Chains in, Chains out) {
        if (in.count() != out.count()) {
            throw new IllegalArgumentException(name + ": input " + in + " and output " + out
                    + " must have the same number of chains");
        }
    }

    public Chains in() { return in; }

    public Chains out() { return out; }

    @Override
    public int inWidth() { return in.total(); }

    @Override
    public int outWidth() { return out.total(); }

    /** Output chain j's block [out.size(j), reads(j)]. */
    public Parameter block(int chain) { return blocks[chain]; }

    /** How many leading input columns output chain j reads. */
    public int reads(int chain) { return reads[chain]; }

    /** The dense [out.total(), widest read] matrix these blocks form, zero where no block reads. */
    public INDArray denseValue() { return dense(false); }

    /** The gradient as a dense matrix laid out as {@link #denseValue()}; masked entries are zero. */
    public INDArray denseGrad() { return dense(true); }

    /**
     * Loads the blocks from a dense [out.total(), widest read] matrix (e.g. a golden case's
     * {@code w}); its masked entries are ignored, since the layer never reads them.
     */
    public void assignDense(INDArray dense) {
        long[] want = {out.total(), widestRead()};
        if (!java.util.Arrays.equals(dense.shape(), want)) {
            throw new IllegalArgumentException(blocks[0].name() + ": dense weight has shape "
                    + java.util.Arrays.toString(dense.shape()) + ", expected " + java.util.Arrays.toString(want));
        }
        for (int j = 0; j < blocks.length; j++) {
            blocks[j].value().assign(dense.get(NDArrayIndex.interval(out.offset(j), out.offset(j + 1)),
                    NDArrayIndex.interval(0, reads[j])));
        }
    }

    private INDArray dense(boolean grads) {
        INDArray d = Buffers.zeros(out.total(), widestRead());
        for (int j = 0; j < blocks.length; j++) {
            d.get(NDArrayIndex.interval(out.offset(j), out.offset(j + 1)), NDArrayIndex.interval(0, reads[j]))
                    .assign(grads ? blocks[j].grad() : blocks[j].value());
        }
        return d;
    }

    private int widestRead() {
        int w = 0;
        for (int r : reads) w = Math.max(w, r);
        return w;
    }

    /** x: [rows, in.total()] → y: [rows, out.total()], owned by this layer; x is kept for backward. */
    @Override
    public INDArray forward(INDArray x) {
        if (x.rank() != 2 || x.size(1) != in.total()) {
            throw new IllegalArgumentException(blocks[0].name() + ": input has shape " + java.util.Arrays.toString(x.shape())
                    + ", expected [rows, " + in.total() + "]");
        }
        this.x = x;
        int rows = (int) x.size(0);
        int ldx = in.total();
        int ldy = out.total();
        y = Buffers.reuse(y, rows, ldy);
        for (int j = 0; j < blocks.length; j++) {
            // y[:, chain j] = x[:, :reads_j] W_j^T
            INDArray w = blocks[j].value();
            Blas.gemm(false, true, rows, out.size(j), reads[j], 1f, x, x.offset(), ldx,
                    w, w.offset(), reads[j], 0f, y, y.offset() + out.offset(j), ldy);
        }
        return y;
    }

    /** dW_j += dy_j^T x[:, :reads_j]; returns dx = sum_j dy_j W_j, [rows, in.total()], owned by this layer. */
    public INDArray backward(INDArray dy) {
        dx = Buffers.reuse(dx, dy.size(0), in.total());
        backward(dy, dx, false);
        return dx;
    }

    /**
     * As {@link #backward(INDArray)}, writing dx into (or, with {@code accumulate}, adding it to)
     * the caller's {@code dx}, so projections of one input sum their input gradients in BLAS.
     */
    @Override
    public void backward(INDArray dy, INDArray dx, boolean accumulate) {
        if (x == null) throw new IllegalStateException(blocks[0].name() + ": backward() before forward()");
        int rows = (int) dy.size(0);
        int ldx = in.total();
        int ldy = out.total();
        // The widest reader goes first: when it reads every column it initializes dx (beta 0).
        int first = blocks.length - 1;
        for (int j = 0; j < blocks.length; j++) if (reads[j] > reads[first]) first = j;
        boolean overwriteFirst = !accumulate && reads[first] == ldx;
        if (!accumulate && !overwriteFirst) dx.assign(0f);
        for (int step = 0; step < blocks.length; step++) {
            int j = step == 0 ? first : (step <= first ? step - 1 : step);
            INDArray w = blocks[j].value();
            INDArray g = blocks[j].grad();
            long dyChain = dy.offset() + out.offset(j);
            Blas.gemm(true, false, out.size(j), reads[j], rows, 1f, dy, dyChain, ldy,
                    x, x.offset(), ldx, 1f, g, g.offset(), reads[j]);
            float beta = step == 0 && overwriteFirst ? 0f : 1f;
            Blas.gemm(false, false, rows, reads[j], out.size(j), 1f, dy, dyChain, ldy,
                    w, w.offset(), reads[j], beta, dx, dx.offset(), ldx);
        }
    }
}
