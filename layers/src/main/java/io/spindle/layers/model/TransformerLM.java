package io.spindle.layers.model;

import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.ParameterRole;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.embedding.TokenEmbedding;
import io.spindle.layers.linear.Linear;
import io.spindle.layers.loss.SoftmaxCrossEntropy;
import io.spindle.layers.norm.RMSNorm;
import io.spindle.layers.ssm.RecurrentMixer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decoder-only language model: token embedding → {@code layers} pre-norm blocks → final RMSNorm →
 * LM head [vocab, dModel] (not tied to the embedding) → softmax cross-entropy.
 *
 * <p>One instance serves one training rank: activations are cached per (batch, seq) shape and
 * reused across steps, so a step allocates nothing after the first.
 */
public final class TransformerLM {
    private static final Logger LOG = LoggerFactory.getLogger(TransformerLM.class);

    private final ModelConfig config;
    private final ParameterSet params = new ParameterSet();
    private final TokenEmbedding embed;
    private final TransformerBlock[] blocks;
    private final RMSNorm finalNorm;
    private final Linear head;
    private final SoftmaxCrossEntropy crossEntropy = new SoftmaxCrossEntropy();
    private boolean readyForBackward;

    /** Builds the model, registers its parameters and allocates and initializes them from {@code seed}. */
    public TransformerLM(ModelConfig config, long seed) {
        this.config = config;
        Initializer init = Initializer.normal(config.initStd());
        this.embed = new TokenEmbedding(params, "embed.weight", config.vocabSize(), config.dModel(), init);
        this.blocks = new TransformerBlock[config.layers()];
        for (int i = 0; i < blocks.length; i++) {
            blocks[i] = new TransformerBlock(params, "blocks." + i, config, i);
        }
        this.finalNorm = new RMSNorm(params, "final_norm.weight", config.dModel(), config.normEps());
        this.head = new Linear(params, "head.weight", config.dModel(), config.vocabSize(), ParameterRole.HEAD, init);
        params.allocate(seed);
        LOG.debug("built {} model: {} parameters", config.flavor(), params.totalSize());
    }

    public ModelConfig config() { return config; }

    public ParameterSet parameters() { return params; }

    /**
     * Mean next-token cross-entropy in nats per token over {@code batch} sequences of {@code seq}
     * tokens (row-major: token t of sequence b at b*seq + t). Keeps what {@link #backward} needs.
     */
    public float forwardLoss(int[] inputs, int[] targets, int batch, int seq) {
        checkShape("targets", targets, batch, seq);
        INDArray logits = logits(inputs, batch, seq);
        float loss = crossEntropy.forward(logits, targets);
        readyForBackward = true;
        return loss;
    }

    /** Adds d(mean loss)/d(parameter) of the last {@link #forwardLoss} into {@code parameters().grads()}. */
    public void backward() {
        if (!readyForBackward) {
            throw new IllegalStateException("backward() needs a forwardLoss() first (forwardLogits() does not keep one)");
        }
        readyForBackward = false;
        INDArray dx = finalNorm.backward(head.backward(crossEntropy.backward()));
        for (int i = blocks.length - 1; i >= 0; i--) dx = blocks[i].backward(dx);
        embed.backward(dx);
    }

    /** Logits [batch*seq, vocab], a new array owned by the caller; invalidates a pending backward. */
    public INDArray forwardLogits(int[] inputs, int batch, int seq) {
        readyForBackward = false;
        return logits(inputs, batch, seq).dup();
    }

    private INDArray logits(int[] inputs, int batch, int seq) {
        checkShape("inputs", inputs, batch, seq);
        readyForBackward = false;
        INDArray x = embed.forward(inputs);
        for (TransformerBlock block : blocks) x = block.forward(x, batch, seq);
        return head.forward(finalNorm.forward(x));
    }

    /**
     * Starts generating {@code batch} sequences token by token: state-space blocks carry their
     * recurrent state (O(1) per token, no limit on length), attention blocks re-run over their
     * last {@code window} inputs (at most model.maxSeq).
     */
    public Generation startGeneration(int batch, int window) {
        if (batch <= 0) throw new IllegalArgumentException("batch=" + batch + " must be positive");
        RecurrentMixer.State[] states = new RecurrentMixer.State[blocks.length];
        for (int i = 0; i < blocks.length; i++) states[i] = blocks[i].startGeneration(batch, window);
        readyForBackward = false;
        return new Generation(batch, states);
    }

    /** The state of a generation: one mixer state per block. */
    public static final class Generation {
        private final int batch;
        private final RecurrentMixer.State[] states;

        private Generation(int batch, RecurrentMixer.State[] states) {
            this.batch = batch;
            this.states = states;
        }

        public int batch() { return batch; }
    }

    /**
     * Feeds one token per sequence ({@code tokens}, one id each) and returns the next-token logits
     * [batch, vocab], a new array; advances {@code generation}. Equal to {@link #forwardLogits}'s
     * last rows for the same prefix while the prefix fits in the attention window.
     */
    public INDArray nextLogits(int[] tokens, Generation generation) {
        if (tokens.length != generation.batch) {
            throw new IllegalArgumentException("nextLogits needs one token per sequence (" + generation.batch + "), got "
                    + tokens.length);
        }
        readyForBackward = false;
        INDArray x = embed.forward(tokens).dup();
        for (int i = 0; i < blocks.length; i++) x = blocks[i].step(x, generation.states[i]);
        return head.forward(finalNorm.forward(x)).dup();
    }

    private void checkShape(String what, int[] ids, int batch, int seq) {
        if (batch <= 0 || seq <= 0) {
            throw new IllegalArgumentException("batch=" + batch + " and seq=" + seq + " must be positive");
        }
        if (seq > config.maxSeq()) {
            throw new IllegalArgumentException("seq=" + seq + " exceeds model.maxSeq=" + config.maxSeq()
                    + "; raise model.maxSeq or shorten the sequences");
        }
        if (ids.length != (long) batch * seq) {
            throw new IllegalArgumentException(what + " has " + ids.length + " ids, but batch*seq = "
                    + batch + "*" + seq + " = " + (long) batch * seq);
        }
    }
}
