package io.spindle.layers.loss;

import io.spindle.layers.core.Buffers;
import io.spindle.layers.core.Parallel;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;

/**
 * Mean softmax cross-entropy over rows, fused with its gradient: one pass per row computes the
 * log-sum-exp (max-shifted, so exp never overflows) and overwrites the logits with
 * {@code (softmax − onehot(target)) / rows}, the gradient of the mean loss. Logits are not
 * needed afterwards, so no second [rows, vocab] buffer is spent on the gradient.
 */
public final class SoftmaxCrossEntropy {
    private INDArray grad;
    private double[] rowLoss;

    /**
     * logits: [rows, vocab] (overwritten by d(mean loss)/d(logits)); returns the mean loss in
     * nats per row.
     */
    public float forward(INDArray logits, int[] targets) {
        int rows = (int) logits.size(0);
        int vocab = (int) logits.size(1);
        if (targets.length != rows) {
            throw new IllegalArgumentException(targets.length + " targets for " + rows + " rows of logits");
        }
        for (int r = 0; r < rows; r++) {
            if (targets[r] < 0 || targets[r] >= vocab) {
                throw new IllegalArgumentException("target id " + targets[r] + " at position " + r
                        + " is outside the vocabulary [0, " + vocab + ")");
            }
        }
        if (rowLoss == null || rowLoss.length != rows) rowLoss = new double[rows];
        FloatBuffer z = Buffers.floats(logits);
        int off = (int) logits.offset();
        Parallel.forRange(rows, 16, (chunk, from, to) -> {
            for (int r = from; r < to; r++) rowLoss[r] = row(z, off + r * vocab, vocab, targets[r], 1f / rows);
        });
        // Summed in row order whatever the thread count, so the loss is reproducible bit for bit.
        double total = 0;
        for (double l : rowLoss) total += l;
        grad = logits;
        return (float) (total / rows);
    }

    /** One row: returns its loss and overwrites its logits with (softmax − onehot) · invRows. */
    private static double row(FloatBuffer z, int row, int vocab, int t, float invRows) {
        float max = Float.NEGATIVE_INFINITY;
        for (int c = 0; c < vocab; c++) max = Math.max(max, z.get(row + c));
        float targetLogit = z.get(row + t) - max;
        double sum = 0;
        for (int c = 0; c < vocab; c++) {
            float e = (float) Math.exp(z.get(row + c) - max);
            z.put(row + c, e);
            sum += e;
        }
        float scale = (float) (invRows / sum);
        for (int c = 0; c < vocab; c++) z.put(row + c, z.get(row + c) * scale);
        z.put(row + t, z.get(row + t) - invRows);
        // loss = logsumexp(z) − z_t, both shifted by max; taken before exp so that a target far
        // below the maximum gives a large finite loss rather than log(0)
        return Math.log(sum) - targetLogit;
    }

    /** The gradient written by the last {@link #forward}: [rows, vocab]. */
    public INDArray backward() {
        if (grad == null) throw new IllegalStateException("cross-entropy backward() before forward()");
        return grad;
    }
}
