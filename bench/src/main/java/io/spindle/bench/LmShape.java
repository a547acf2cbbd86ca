package io.spindle.bench;

import io.spindle.layers.model.ModelConfig;

/**
 * The shape of a baseline LM as the engine benchmarks build it: byte vocabulary, pre-norm RMSNorm
 * blocks of causal multi-head attention (RoPE, half-split) and a SwiGLU FFN, untied head.
 * {@link #ENGINE_DECISION} is the shape ADR 0001 was decided on.
 */
record LmShape(int vocab, int dModel, int heads, int layers, int ffnHidden, int seq, int batch) {
    /** d=128, 4 heads, 2 blocks, T=64, batch 8; SwiGLU hidden 384 (8d/3 rounded up to a multiple of 64). */
    static final LmShape ENGINE_DECISION = new LmShape(258, 128, 4, 2, 384, 64, 8);

    LmShape {
        if (heads <= 0 || dModel % heads != 0 || (dModel / heads) % 2 != 0) {
            throw new IllegalArgumentException("heads=" + heads + " must divide dModel=" + dModel
                    + " into an even head size (RoPE rotates pairs)");
        }
    }

    int headDim() { return dModel / heads; }

    /** Spindle's config for this shape: RoPE base 10000, RMSNorm eps 1e-5, init std 0.02, maxSeq = seq. */
    ModelConfig toModelConfig(String flavor) {
        return new ModelConfig(flavor, vocab, dModel, layers, heads, ffnHidden, seq,
                10_000, 1e-5, 0.02);
    }

    int tokensPerStep() { return seq * batch; }

    @Override
    public String toString() {
        return "vocab=" + vocab + " dModel=" + dModel + " heads=" + heads + " layers=" + layers
                + " ffnHidden=" + ffnHidden + " seq=" + seq + " batch=" + batch;
    }
}
