package io.spindle.layers.model;

import io.spindle.layers.core.Buffers;
import io.spindle.layers.core.FeedForward;
import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.mla.LatentReduction;
import io.spindle.layers.mla.MultiHeadLatentAttention;
import io.spindle.layers.norm.RMSNorm;
import io.spindle.layers.ssm.RecurrentMixer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Pre-norm decoder block (GPT-2 / LLaMA arrangement):
 * {@code h = x + mixer(rmsnorm(x)); y = h + ffn(rmsnorm(h))}. The mixer is the config's for this
 * layer (attention, Mamba or S4D; chain or MASA attention in those variants) and the FFN the
 * config's (SwiGLU, GR-KAN, or MatFormer's nested SwiGLU); {@link BlockFactory} chooses them.
 */
public final class TransformerBlock {
    private final FeedForward attnNorm;
    private final RecurrentMixer mixer;
    private final FeedForward ffnNorm;
    private final FeedForward ffn;
    private INDArray h;
    private INDArray y;
    private INDArray dh;
    private INDArray dx;

    /**
     * The block of layer 0 of {@code config} without a variant: registers
     * {@code prefix.attn_norm.weight}, the mixer's parameters ({@code prefix.attn.*},
     * {@code prefix.mamba.*} or {@code prefix.s4d.*}), {@code prefix.ffn_norm.weight} and the FFN's
     * ({@code prefix.ffn.*}).
     */
    public TransformerBlock(ParameterSet params, String prefix, ModelConfig config) {
        this(new RMSNorm(params, prefix + ".attn_norm.weight", config.dModel(), config.normEps()),
                BlockFactory.mixer(params, prefix, config, 0, null),
                new RMSNorm(params, prefix + ".ffn_norm.weight", config.dModel(), config.normEps()),
                BlockFactory.ffn(params, prefix, config, 0));
    }

    /** A pre-norm block of any norms, sequence mixer and FFN (the variants' blocks, see {@link BlockFactory}). */
    public TransformerBlock(FeedForward attnNorm, RecurrentMixer mixer, FeedForward ffnNorm, FeedForward ffn) {
        this.attnNorm = attnNorm;
        this.mixer = mixer;
        this.ffnNorm = ffnNorm;
        this.ffn = ffn;
    }

    /** Normal(0, initStd²): the matrices' initialization. */
    static Initializer init(ModelConfig config) {
        return Initializer.normal(config.initStd());
    }

    /**
     * The output projections' initialization: std / sqrt(2·layers) (GPT-2, Radford et al. 2019
     * §2.3) so the residual stream's variance does not grow with depth.
     */
    static Initializer outputInit(ModelConfig config) {
        return Initializer.normal(config.initStd() / Math.sqrt(2.0 * config.layers()));
    }

    public RecurrentMixer mixer() { return mixer; }

    public FeedForward feedForward() { return ffn; }

    /** x: [batch*seq, dModel] → y: [batch*seq, dModel], owned by this block; x must stay unchanged until backward. */
    public INDArray forward(INDArray x, int batch, int seq) {
        h = Buffers.reuse(h, x.shape());
        y = Buffers.reuse(y, x.shape());
        Buffers.add(x, mixer.forward(attnNorm.forward(x), batch, seq), h);
        Buffers.add(h, ffn.forward(ffnNorm.forward(h)), y);
        return y;
    }

    /** dy → dx, both [batch*seq, dModel]; each residual branch adds its gradient to the skip path. */
    public INDArray backward(INDArray dy) {
        if (h == null) throw new IllegalStateException("block backward() before forward()");
        dh = Buffers.reuse(dh, dy.shape());
        dx = Buffers.reuse(dx, dy.shape());
        Buffers.add(dy, ffnNorm.backward(ffn.backward(dy)), dh);
        Buffers.add(dh, attnNorm.backward(mixer.backward(dh)), dx);
        return dx;
    }

    /**
     * A fresh generation state of this block's mixer for {@code batch} sequences; an attention
     * mixer attends to the last {@code window} positions.
     */
    RecurrentMixer.State startGeneration(int batch, int window) {
        return mixer instanceof WindowedAttention attention ? attention.start(batch, window) : mixer.start(batch);
    }

    /**
     * A generation state whose MLA mixer caches TPLA shards {@code [first, first + count)} of
     * {@code shards} and sums its partials through {@code reduction}; other mixers start as usual.
     */
    RecurrentMixer.State startLatentShards(int batch, int window, int shards, int first, int count, LatentReduction reduction) {
        return mixer instanceof MultiHeadLatentAttention mla ? mla.startShards(batch, shards, first, count, reduction)
                : startGeneration(batch, window);
    }

    /** A prompt of {@code seq} tokens per sequence: x [batch*seq, dModel] → a new array of the same shape; advances state. */
    INDArray prefill(INDArray x, int batch, int seq, RecurrentMixer.State state) {
        INDArray hPrompt = x.add(mixer.prefill(attnNorm.forward(x), batch, seq, state));
        return hPrompt.add(ffn.forward(ffnNorm.forward(hPrompt)));
    }

    /** One token per sequence: x [batch, dModel] → a new [batch, dModel] array; advances state. */
    INDArray step(INDArray x, RecurrentMixer.State state) {
        INDArray hStep = x.add(mixer.step(attnNorm.forward(x), state));
        return hStep.add(ffn.forward(ffnNorm.forward(hStep)));
    }
}
