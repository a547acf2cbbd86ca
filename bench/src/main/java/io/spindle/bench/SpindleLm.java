package io.spindle.bench;

import io.spindle.layers.model.ModelConfig;
import io.spindle.layers.model.TransformerLM;
import io.spindle.optim.ParamSlot;
import io.spindle.optim.adamw.AdamW;
import io.spindle.optim.clip.GradientClipping;
import io.spindle.parallel.train.ParameterSlots;

import java.util.List;

/**
 * Candidate (c) of ADR 0001, the chosen engine: Spindle's {@link TransformerLM} (hand-written
 * forward/backward, direct sgemm, fused Java kernels) updated by Spindle's {@link AdamW}. One step
 * is RankTrainer's step on one rank without data-parallel sync: zero grads, forward, backward,
 * global-norm clipping at 1.0, optimizer step.
 */
final class SpindleLm {
    private final TransformerLM model;
    private final AdamW optimizer = new AdamW(0.9, 0.95, 1e-8, 0.1);
    private final List<ParamSlot> slots;
    private final int batch;
    private final int seq;
    private final double lr;

    SpindleLm(ModelConfig config, int batch, int seq, long seed, double lr) {
        this.model = new TransformerLM(config, seed);
        this.slots = ParameterSlots.of(model.parameters());
        this.batch = batch;
        this.seq = seq;
        this.lr = lr;
    }

    /** One training step on one batch; returns the loss of its forward pass. */
    double step(int[] inputs, int[] targets) {
        model.parameters().zeroGrads();
        float loss = model.forwardLoss(inputs, targets, batch, seq);
        model.backward();
        GradientClipping.clipGlobalNorm(model.parameters().grads(), 1.0);
        optimizer.step(slots, lr);
        return loss;
    }

    long parameterCount() { return model.parameters().totalSize(); }

    /**
     * Parameters that are matrix-product weights (hidden matrices and the head); the embedding
     * is a lookup and norm gains are elementwise, so neither counts towards model FLOPs.
     */
    long matmulParameterCount() {
        long n = 0;
        for (ParamSlot s : slots) {
            if (s.role().equals(ParamSlot.MATRIX) || s.role().equals(ParamSlot.HEAD)) n += s.size();
        }
        return n;
    }
}
