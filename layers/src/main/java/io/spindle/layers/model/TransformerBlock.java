package io.spindle.layers.model;

import io.spindle.layers.attention.CausalSelfAttention;
import io.spindle.layers.core.Buffers;
import io.spindle.layers.core.FeedForward;
import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.core.SequenceMixer;
import io.spindle.layers.ffn.SwiGLU;
import io.spindle.layers.norm.RMSNorm;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Pre-norm decoder block (GPT-2 / LLaMA arrangement):
 * {@code h = x + attn(rmsnorm(x)); y = h + ffn(rmsnorm(h))}.
 */
public final class TransformerBlock {
    private final FeedForward attnNorm;
    private final SequenceMixer attn;
    private final FeedForward ffnNorm;
    private final FeedForward ffn;
    private INDArray h;
    private INDArray y;
    private INDArray dh;
    private INDArray dx;

    /**
     * Registers {@code prefix.attn_norm.weight}, {@code prefix.attn.wq|wk|wv|wo},
     * {@code prefix.ffn_norm.weight} and {@code prefix.ffn.w1|w2|w3}. The output projections wo
     * and w2 start with std / sqrt(2·layers) (GPT-2, Radford et al. 2019 §2.3) so the residual
     * stream's variance does not grow with depth.
     */
    public TransformerBlock(ParameterSet params, String prefix, ModelConfig config) {
        this(new RMSNorm(params, prefix + ".attn_norm.weight", config.dModel(), config.normEps()),
                new CausalSelfAttention(params, prefix + ".attn", config.dModel(), config.heads(),
                        config.maxSeq(), config.ropeBase(), init(config), outputInit(config)),
                new RMSNorm(params, prefix + ".ffn_norm.weight", config.dModel(), config.normEps()),
                new SwiGLU(params, prefix + ".ffn", config.dModel(), config.ffnHidden(), init(config), outputInit(config)));
    }

    /** A pre-norm block of any norms, sequence mixer and FFN (the variants' blocks, see {@link BlockFactory}). */
    public TransformerBlock(FeedForward attnNorm, SequenceMixer attn, FeedForward ffnNorm, FeedForward ffn) {
        this.attnNorm = attnNorm;
        this.attn = attn;
        this.ffnNorm = ffnNorm;
        this.ffn = ffn;
    }

    /** Normal(0, initStd²): the matrices' initialization. */
    static Initializer init(ModelConfig config) {
        return Initializer.normal(config.initStd());
    }

    /** The output projections' initialization, scaled by depth (GPT-2 §2.3). */
    static Initializer outputInit(ModelConfig config) {
        return Initializer.normal(config.initStd() / Math.sqrt(2.0 * config.layers()));
    }

    public SequenceMixer attention() { return attn; }

    public FeedForward feedForward() { return ffn; }

    /** x: [batch*seq, dModel] → y: [batch*seq, dModel], owned by this block; x must stay unchanged until backward. */
    public INDArray forward(INDArray x, int batch, int seq) {
        h = Buffers.reuse(h, x.shape());
        y = Buffers.reuse(y, x.shape());
        Buffers.add(x, attn.forward(attnNorm.forward(x), batch, seq), h);
        Buffers.add(h, ffn.forward(ffnNorm.forward(h)), y);
        return y;
    }

    /** dy → dx, both [batch*seq, dModel]; each residual branch adds its gradient to the skip path. */
    public INDArray backward(INDArray dy) {
        if (h == null) throw new IllegalStateException("block backward() before forward()");
        dh = Buffers.reuse(dh, dy.shape());
        dx = Buffers.reuse(dx, dy.shape());
        Buffers.add(dy, ffnNorm.backward(ffn.backward(dy)), dh);
        Buffers.add(dh, attnNorm.backward(attn.backward(dh)), dx);
        return dx;
    }
}
