package io.spindle.layers.model;

import io.spindle.layers.attention.CausalSelfAttention;
import io.spindle.layers.core.Buffers;
import io.spindle.layers.core.FeedForward;
import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.ffn.SwiGLU;
import io.spindle.layers.kan.GrKanFfn;
import io.spindle.layers.norm.RMSNorm;
import io.spindle.layers.ssm.MambaMixer;
import io.spindle.layers.ssm.RecurrentMixer;
import io.spindle.layers.ssm.S4DKernel;
import io.spindle.layers.ssm.S4DMixer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Pre-norm decoder block (GPT-2 / LLaMA arrangement):
 * {@code h = x + mixer(rmsnorm(x)); y = h + ffn(rmsnorm(h))}. The mixer is the config's for this
 * layer (attention, Mamba or S4D) and the FFN the config's (SwiGLU or GR-KAN).
 */
public final class TransformerBlock {
    /** S4D's state size N as a model mixer (the S4D paper's default). */
    static final int S4D_STATE = 64;

    private final RMSNorm attnNorm;
    private final RecurrentMixer mixer;
    private final RMSNorm ffnNorm;
    private final FeedForward ffn;
    private INDArray h;
    private INDArray y;
    private INDArray dh;
    private INDArray dx;

    /** The block of layer 0 of {@code config}. */
    public TransformerBlock(ParameterSet params, String prefix, ModelConfig config) {
        this(params, prefix, config, 0);
    }

    /**
     * Registers {@code prefix.attn_norm.weight}, the mixer's parameters ({@code prefix.attn.*},
     * {@code prefix.mamba.*} or {@code prefix.s4d.*}), {@code prefix.ffn_norm.weight} and the FFN's
     * ({@code prefix.ffn.*}). The output projections start with std / sqrt(2·layers) (GPT-2,
     * Radford et al. 2019 §2.3) so the residual stream's variance does not grow with depth.
     */
    public TransformerBlock(ParameterSet params, String prefix, ModelConfig config, int layer) {
        Initializer init = Initializer.normal(config.initStd());
        Initializer outputInit = Initializer.normal(config.initStd() / Math.sqrt(2.0 * config.layers()));
        int d = config.dModel();
        this.attnNorm = new RMSNorm(params, prefix + ".attn_norm.weight", d, config.normEps());
        this.mixer = switch (config.mixer(layer)) {
            case "attention" -> new WindowedAttention(new CausalSelfAttention(params, prefix + ".attn", d, config.heads(),
                    config.maxSeq(), config.ropeBase(), init, outputInit), d, config.maxSeq());
            case "mamba" -> new MambaMixer(params, prefix + ".mamba", MambaMixer.Shape.standard(d), init, outputInit);
            case "s4d" -> new S4DMixer(params, prefix + ".s4d", d, S4D_STATE, S4DKernel.Init.LIN, outputInit);
            default -> throw new IllegalArgumentException("unknown mixer " + config.mixer(layer) + "; known: " + ModelConfig.MIXERS);
        };
        this.ffnNorm = new RMSNorm(params, prefix + ".ffn_norm.weight", d, config.normEps());
        this.ffn = config.ffn().equals("gr-kan")
                ? new GrKanFfn(params, prefix + ".ffn", d, config.ffnHidden(), ModelConfig.GR_KAN_GROUPS, init, outputInit)
                : new SwiGLU(params, prefix + ".ffn", d, config.ffnHidden(), init, outputInit);
    }

    /** Parameters of block {@code layer} of {@code config}, counted by registering them (nothing is allocated). */
    static long parameterCount(ModelConfig config, int layer) {
        ParameterSet counter = new ParameterSet();
        new TransformerBlock(counter, "block", config, layer);
        return counter.totalSize();
    }

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

    /** One token per sequence: x [batch, dModel] → a new [batch, dModel] array; advances state. */
    INDArray step(INDArray x, RecurrentMixer.State state) {
        INDArray hStep = x.add(mixer.step(attnNorm.forward(x), state));
        return hStep.add(ffn.forward(ffnNorm.forward(hStep)));
    }
}
