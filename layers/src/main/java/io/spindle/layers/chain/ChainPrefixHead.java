package io.spindle.layers.chain;

import io.spindle.layers.core.Blas;
import io.spindle.layers.core.Buffers;
import io.spindle.layers.core.Parameter;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The LM head of a CoLM restricted to the first k chains: {@code logits_k = h[:, :D_k] W[:, :D_k]^T}
 * with W the head [vocab, D] and D_k the width of the first k chains. Since every chain layer,
 * chain norm and chain attention computes chain j from chains 0..j only, these are exactly the
 * logits of the sub-model made of the first k chains, so a prefix's loss can be trained and
 * evaluated inside the full model's forward pass (k = n is the full head).
 */
public final class ChainPrefixHead {
    private final Parameter weight;
    private final Chains chains;
    private INDArray h;
    private int k;
    private INDArray logits;

    /** {@code weight}: the head [vocab, chains.total()]. */
    public ChainPrefixHead(Parameter weight, Chains chains) {
        if (weight.shape()[1] != chains.total()) {
            throw new IllegalArgumentException(weight.name() + " has " + weight.shape()[1] + " columns but the chains "
                    + chains + " add up to " + chains.total());
        }
        this.weight = weight;
        this.chains = chains;
    }

    /** h: [rows, D] → logits of prefix k: [rows, vocab], owned by this head (overwritten by the next call). */
    public INDArray forward(INDArray h, int k) {
        if (k < 1 || k > chains.count()) {
            throw new IllegalArgumentException("chain prefix k=" + k + " is outside [1, " + chains.count() + "]");
        }
        this.h = h;
        this.k = k;
        int rows = (int) h.size(0);
        int vocab = (int) weight.shape()[0];
        int d = chains.total();
        logits = Buffers.reuse(logits, rows, vocab);
        INDArray w = weight.value();
        Blas.gemm(false, true, rows, vocab, chains.offset(k), 1f, h, h.offset(), d, w, w.offset(), d, 0f,
                logits, logits.offset(), vocab);
        return logits;
    }

    /**
     * For the last forward's prefix k: dW[:, :D_k] += scale · dLogits^T h[:, :D_k] and
     * dh[:, :D_k] += scale · dLogits W[:, :D_k] (columns beyond D_k of dh are left as they are).
     */
    public void backward(INDArray dLogits, float scale, INDArray dh) {
        if (h == null) throw new IllegalStateException(weight.name() + ": prefix head backward() before forward()");
        int rows = (int) h.size(0);
        int vocab = (int) weight.shape()[0];
        int d = chains.total();
        int width = chains.offset(k);
        INDArray w = weight.value();
        INDArray g = weight.grad();
        Blas.gemm(true, false, vocab, width, rows, scale, dLogits, dLogits.offset(), vocab, h, h.offset(), d, 1f,
                g, g.offset(), d);
        Blas.gemm(false, false, rows, width, vocab, scale, dLogits, dLogits.offset(), vocab, w, w.offset(), d, 1f,
                dh, dh.offset(), d);
    }
}
