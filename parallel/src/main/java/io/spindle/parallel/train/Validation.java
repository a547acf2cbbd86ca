package io.spindle.parallel.train;

import io.spindle.data.sampling.ValidationBatches;
import io.spindle.layers.model.TransformerLM;

/**
 * Validation loss of a model over fixed validation batches: mean cross-entropy in nats per token,
 * perplexity, and bits per byte. Used by training (every {@code train.evalEvery} steps) and by
 * {@code spindle eval}, so both report the same numbers for the same checkpoint.
 */
public final class Validation {
    private Validation() {}

    /**
     * @param loss   nats per token
     * @param bpb    bits per byte: only byte targets count as text, special tokens carry loss but no bytes
     * @param tokens tokens scored
     */
    public record Result(double loss, double bpb, long tokens) {
        public double perplexity() { return Math.exp(loss); }
    }

    public static Result evaluate(TransformerLM model, ValidationBatches batches, int seq, int maxBatches) {
        int count = Math.min(maxBatches, batches.size());
        if (count == 0) return new Result(Double.NaN, Double.NaN, 0);
        int batch = batches.tokensPerBatch() / seq;
        int[] inputs = new int[batch * seq];
        int[] targets = new int[batch * seq];
        double nats = 0;
        long tokens = 0;
        long bytes = 0;
        for (int b = 0; b < count; b++) {
            batches.fill(b, inputs, targets);
            nats += (double) model.forwardLoss(inputs, targets, batch, seq) * targets.length;
            tokens += targets.length;
            for (int t : targets) if (t < 256) bytes++;
        }
        return new Result(nats / tokens, nats / Math.log(2) / Math.max(bytes, 1), tokens);
    }
}
