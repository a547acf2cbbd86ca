package io.spindle.bench;

import java.util.SplittableRandom;

/**
 * Deterministic random byte-token batches: inputs and next-token targets, row-major
 * [batch, seq]. Speed does not depend on the token values, and every engine gets the same ones.
 */
final class TokenBatches {
    private final int vocab;
    private final int seq;
    private final int batch;
    private final SplittableRandom random;

    TokenBatches(int vocab, int seq, int batch, long seed) {
        this.vocab = vocab;
        this.seq = seq;
        this.batch = batch;
        this.random = new SplittableRandom(seed);
    }

    /** A new batch; element [0] are the inputs, [1] the targets (inputs shifted by one). */
    int[][] next() {
        int[] inputs = new int[batch * seq];
        int[] targets = new int[batch * seq];
        for (int b = 0; b < batch; b++) {
            int prev = random.nextInt(vocab);
            for (int t = 0; t < seq; t++) {
                int nextToken = random.nextInt(vocab);
                inputs[b * seq + t] = prev;
                targets[b * seq + t] = nextToken;
                prev = nextToken;
            }
        }
        return new int[][] {inputs, targets};
    }
}
