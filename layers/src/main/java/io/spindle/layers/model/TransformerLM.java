package io.spindle.layers.model;

import io.spindle.layers.chain.ChainPrefixHead;
import io.spindle.layers.core.Buffers;
import io.spindle.layers.core.FeedForward;
import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.ParameterRole;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.core.ShardLayout;
import io.spindle.layers.embedding.TokenEmbedding;
import io.spindle.layers.linear.Linear;
import io.spindle.layers.loss.SoftmaxCrossEntropy;
import io.spindle.layers.masa.AttentionDictionaries;
import io.spindle.layers.matformer.Granularities;
import io.spindle.layers.matformer.JointTraining;
import io.spindle.layers.matformer.MatFormerFFN;
import io.spindle.layers.mla.LatentCache;
import io.spindle.layers.mla.LatentReduction;
import io.spindle.layers.ssm.RecurrentMixer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decoder-only language model: token embedding → {@code layers} pre-norm blocks → final RMSNorm →
 * LM head [vocab, dModel] (not tied to the embedding) → softmax cross-entropy. The blocks follow
 * the config's {@link ModelVariant}: MatFormer FFNs, CoLM chain layers or MASA attention.
 *
 * <p>Nested variants hold sub-models: a MatFormer one per FFN width ({@link #useFfnWidths}), a
 * CoLM one per chain prefix ({@link #useChainPrefix}). {@link #forwardLoss} and {@link #backward}
 * work on the selected sub-model (the full model unless told otherwise);
 * {@link #forwardBackward} runs a training step's joint objective over the sub-models.
 *
 * <p>One instance serves one training rank: activations are cached per (batch, seq) shape and
 * reused across steps, so a step allocates nothing after the first.
 */
public final class TransformerLM {
    private static final Logger LOG = LoggerFactory.getLogger(TransformerLM.class);

    private final ModelConfig config;
    private final ParameterSet params;
    private final TokenEmbedding embed;
    private final TransformerBlock[] blocks;
    private final FeedForward finalNorm;
    private final Linear head;
    private final SoftmaxCrossEntropy crossEntropy;
    /** MatFormer: each block's nested FFN, and the trained widths; empty / null otherwise. */
    private final MatFormerFFN[] nestedFfns;
    private final Granularities granularities;
    /** CoLM: the head restricted to a chain prefix; null otherwise. */
    private final ChainPrefixHead prefixHead;
    /** The joint objective over the sub-models (granularities or chain prefixes); null for a plain model. */
    private final JointTraining joint;
    private int chainPrefix;
    private INDArray hidden;
    private INDArray dHidden;
    private boolean readyForBackward;

    /** Builds the model, registers its parameters and allocates and initializes them from {@code seed}. */
    public TransformerLM(ModelConfig config, long seed) {
        this(config, seed, ShardLayout.WHOLE);
    }

    /**
     * The model instance that holds the parameter slices {@code layout} assigns (one tensor-parallel
     * rank's share; {@link ShardLayout#WHOLE} for the whole model), initialized to exactly the
     * values of the whole model's. Its layers compute with the slices and complete their results
     * with the layout's reductions, so losses and replicated values equal the whole model's up to
     * float summation order. With a sliced head, {@link #forwardLogits} returns this instance's
     * vocabulary columns only.
     */
    public TransformerLM(ModelConfig config, long seed, ShardLayout layout) {
        this.config = config;
        this.params = new ParameterSet(layout);
        ModelVariant v = config.variant();
        Initializer init = Initializer.normal(config.initStd());
        this.embed = new TokenEmbedding(params, "embed.weight", config.vocabSize(), config.dModel(), init);
        AttentionDictionaries masa = BlockFactory.dictionaries(params, config);
        this.blocks = new TransformerBlock[config.layers()];
        for (int i = 0; i < blocks.length; i++) blocks[i] = BlockFactory.build(params, config, i, masa);
        this.finalNorm = BlockFactory.finalNorm(params, config);
        this.head = new Linear(params, "head.weight", config.dModel(), config.vocabSize(), ParameterRole.HEAD, init);
        params.allocate(seed);
        this.crossEntropy = head.weight().slice().isWhole() ? new SoftmaxCrossEntropy()
                : new SoftmaxCrossEntropy(layout, (int) head.weight().slice().start(head.weight().logicalShape()),
                        config.vocabSize());

        this.nestedFfns = new MatFormerFFN[v.matformer().enabled() ? blocks.length : 0];
        for (int i = 0; i < nestedFfns.length; i++) nestedFfns[i] = (MatFormerFFN) blocks[i].feedForward();
        this.granularities = v.matformer().enabled() ? v.matformer().granularities(config.ffnHidden()) : null;
        this.prefixHead = v.colm().enabled() ? new ChainPrefixHead(head.weight(), v.colm().residual()) : null;
        this.chainPrefix = v.colm().enabled() ? v.colm().chains().size() : 0;
        this.joint = v.matformer().enabled() ? v.matformer().jointTraining(seed)
                : v.colm().enabled() ? v.colm().prefixTraining(seed) : null;
        LOG.debug("built {} model: {} parameters", config.flavor(), params.totalSize());
    }

    public ModelConfig config() { return config; }

    public ParameterSet parameters() { return params; }

    /** Block {@code layer} (conversions read its layers' activations). */
    TransformerBlock block(int layer) { return blocks[layer]; }

    /** The sequence mixer of block {@code layer} (its last activations, e.g. an MLA latent, for analysis). */
    public io.spindle.layers.ssm.RecurrentMixer mixer(int layer) { return blocks[layer].mixer(); }

    /** MatFormer: the trained FFN widths; fails for other models. */
    public Granularities ffnGranularities() {
        if (granularities == null) throw new IllegalStateException("model." + config.flavor() + " is not a MatFormer (model.matformer.divisors is empty)");
        return granularities;
    }

    /**
     * MatFormer: the sub-model whose block l uses the first {@code widths[l]} FFN neurons
     * (Mix'n'Match when the widths differ). Stays selected until changed.
     */
    public void useFfnWidths(int... widths) {
        if (nestedFfns.length == 0) {
            throw new IllegalStateException("useFfnWidths needs a MatFormer model; set model.matformer.divisors");
        }
        if (widths.length != nestedFfns.length) {
            throw new IllegalArgumentException(widths.length + " FFN widths for " + nestedFfns.length + " layers; give one per layer");
        }
        for (int l = 0; l < widths.length; l++) nestedFfns[l].useWidth(widths[l]);
    }

    /** MatFormer: every block at trained granularity {@code g} (0 = smallest). */
    public void useGranularity(int g) {
        int[] widths = new int[nestedFfns.length];
        java.util.Arrays.fill(widths, ffnGranularities().width(g));
        useFfnWidths(widths);
    }

    /** CoLM: the sub-model made of the first {@code k} chains (its logits come from those chains alone). */
    public void useChainPrefix(int k) {
        if (prefixHead == null) throw new IllegalStateException("useChainPrefix needs a CoLM model; set model.colm.chains");
        int n = config.variant().colm().chains().size();
        if (k < 1 || k > n) throw new IllegalArgumentException("chain prefix k=" + k + " is outside [1, " + n + "]");
        chainPrefix = k;
    }

    /**
     * Mean next-token cross-entropy in nats per token over {@code batch} sequences of {@code seq}
     * tokens (row-major: token t of sequence b at b*seq + t), of the selected sub-model. Keeps
     * what {@link #backward} needs.
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
        backward(1f);
    }

    /**
     * One training step's forward and backward: the joint objective over the sub-models
     * ({@link JointTraining#terms} of {@code step}) for MatFormer and CoLM, plain
     * {@link #forwardLoss} + {@link #backward} otherwise. Gradients of all terms add up in
     * {@code parameters().grads()}. Returns the loss of the largest sub-model the step ran (the
     * full model's loss whenever it is among the terms). Leaves the full model selected.
     */
    public float forwardBackward(int[] inputs, int[] targets, int batch, int seq, long step) {
        if (joint == null) {
            float loss = forwardLoss(inputs, targets, batch, seq);
            backward();
            return loss;
        }
        float logged = Float.NaN;
        if (prefixHead != null) {
            checkShape("targets", targets, batch, seq);
            body(inputs, batch, seq);
            dHidden = Buffers.reuse(dHidden, hidden.shape());
            dHidden.assign(0f);
            for (JointTraining.Term term : joint.terms(step)) {
                float loss = crossEntropy.forward(prefixHead.forward(hidden, term.granularity() + 1), targets);
                prefixHead.backward(crossEntropy.backward(), (float) term.weight(), dHidden);
                if (Float.isNaN(logged)) logged = loss;
            }
            backwardBody(finalNorm.backward(dHidden));
            readyForBackward = false;
        } else {
            for (JointTraining.Term term : joint.terms(step)) {
                useGranularity(term.granularity());
                float loss = forwardLoss(inputs, targets, batch, seq);
                backward((float) term.weight());
                if (Float.isNaN(logged)) logged = loss;
            }
            useGranularity(granularities.count() - 1);
        }
        return logged;
    }

    private void backward(float scale) {
        if (!readyForBackward) {
            throw new IllegalStateException("backward() needs a forwardLoss() first (forwardLogits() does not keep one)");
        }
        readyForBackward = false;
        INDArray dLogits = crossEntropy.backward();
        INDArray dx;
        if (prefixHead != null) {
            dHidden = Buffers.reuse(dHidden, hidden.shape());
            dHidden.assign(0f);
            prefixHead.backward(dLogits, scale, dHidden);
            dx = finalNorm.backward(dHidden);
        } else {
            if (scale != 1f) dLogits.muli(scale);
            dx = finalNorm.backward(head.backward(dLogits));
        }
        backwardBody(dx);
    }

    private void backwardBody(INDArray dFinal) {
        INDArray dx = dFinal;
        for (int i = blocks.length - 1; i >= 0; i--) dx = blocks[i].backward(dx);
        embed.backward(dx);
    }

    /** Logits [batch*seq, vocab] of the selected sub-model, a new array owned by the caller; invalidates a pending backward. */
    public INDArray forwardLogits(int[] inputs, int batch, int seq) {
        readyForBackward = false;
        return logits(inputs, batch, seq).dup();
    }

    private INDArray logits(int[] inputs, int batch, int seq) {
        body(inputs, batch, seq);
        return headLogits(hidden);
    }

    /** The LM head over the final norm's output, restricted to the selected chain prefix for CoLM. */
    private INDArray headLogits(INDArray normed) {
        return prefixHead != null ? prefixHead.forward(normed, chainPrefix) : head.forward(normed);
    }

    /** Embedding, blocks and final norm: {@code hidden} = the head's input. */
    private void body(int[] inputs, int batch, int seq) {
        checkShape("inputs", inputs, batch, seq);
        readyForBackward = false;
        INDArray x = embed.forward(inputs);
        for (TransformerBlock block : blocks) x = block.forward(x, batch, seq);
        hidden = finalNorm.forward(x);
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

    /**
     * As {@link #startGeneration}, for decoding an MLA model in TPLA form: each MLA block caches
     * only latent shards {@code [first, first + count)} of {@code shards} (one tensor-parallel
     * rank's 1/T with count = 1; all of them for the single-device TPLA form) and sums its partial
     * outputs with the other shard holders' through {@code reduction}.
     */
    public Generation startLatentGeneration(int batch, int window, int shards, int first, int count, LatentReduction reduction) {
        if (!config.variant().mla().enabled()) {
            throw new IllegalStateException("TPLA decoding needs an MLA model (model.attention=mla)");
        }
        if (batch <= 0) throw new IllegalArgumentException("batch=" + batch + " must be positive");
        RecurrentMixer.State[] states = new RecurrentMixer.State[blocks.length];
        for (int i = 0; i < blocks.length; i++) states[i] = blocks[i].startLatentShards(batch, window, shards, first, count, reduction);
        readyForBackward = false;
        return new Generation(batch, states);
    }

    /** The state of a generation: one mixer state per block. */
    public static final class Generation {
        private final int batch;
        private final RecurrentMixer.State[] states;
        private int positions;

        private Generation(int batch, RecurrentMixer.State[] states) {
            this.batch = batch;
            this.states = states;
        }

        public int batch() { return batch; }

        /** Tokens fed per sequence so far (an MLA cache holds at most model.maxSeq). */
        public int positions() { return positions; }

        /** The mixer state of block {@code layer}. */
        public RecurrentMixer.State state(int layer) { return states[layer]; }

        /** Bytes allocated by the KV-latent caches of this generation's MLA blocks ({@link LatentCache#allocatedBytes}); 0 without MLA. */
        public long latentCacheBytes() {
            long total = 0;
            for (RecurrentMixer.State s : states) if (s instanceof LatentCache cache) total += cache.allocatedBytes();
            return total;
        }
    }

    /**
     * Feeds a prompt of {@code tokens.length / batch} tokens per sequence (sequence-major) at once,
     * each mixer in its sequence form (MLA's full forward fills its KV-latent cache, as the TPLA
     * paper prefills in MLA form), and returns the next-token logits after the last one,
     * [batch, vocab], a new array; advances {@code generation}.
     */
    public INDArray prefill(int[] tokens, Generation generation) {
        int batch = generation.batch;
        if (tokens.length == 0 || tokens.length % batch != 0) {
            throw new IllegalArgumentException("prefill needs the same number (> 0) of tokens for each of " + batch
                    + " sequences, got " + tokens.length);
        }
        int seq = tokens.length / batch;
        readyForBackward = false;
        INDArray x = embed.forward(tokens).dup();
        for (int i = 0; i < blocks.length; i++) x = blocks[i].prefill(x, batch, seq, generation.states[i]);
        generation.positions += seq;
        INDArray last = Buffers.zeros(batch, config.dModel());
        for (int b = 0; b < batch; b++) last.putRow(b, x.getRow((long) b * seq + seq - 1));
        return headLogits(finalNorm.forward(last)).dup();
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
        generation.positions++;
        return headLogits(finalNorm.forward(x)).dup();
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
