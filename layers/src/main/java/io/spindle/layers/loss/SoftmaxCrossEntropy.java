package io.spindle.layers.loss;

import io.spindle.layers.core.Buffers;
import io.spindle.layers.core.Parallel;
import io.spindle.layers.core.ShardLayout;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;

/**
 * Mean softmax cross-entropy over rows, fused with its gradient: one pass per row computes the
 * log-sum-exp (max-shifted, so exp never overflows) and overwrites the logits with
 * {@code (softmax − onehot(target)) / rows}, the gradient of the mean loss. Logits are not
 * needed afterwards, so no second [rows, vocab] buffer is spent on the gradient.
 *
 * <p>Vocabulary-sliced logits (each holder has the columns of token ids [first, first + width) of
 * a {@code vocab}-wide softmax, as behind a vocabulary-parallel head) are combined without ever
 * assembling a row (Megatron-LM's parallel cross-entropy): the row maximum is reduced with
 * {@link ShardLayout#maxOverSlices}, the sums of exponentials and the target logit (held by one
 * slice, zero elsewhere) with one {@link ShardLayout#sumPartials}; each holder then writes the
 * gradient of its own columns.
 */
public final class SoftmaxCrossEntropy {
    private final ShardLayout layout;
    private final int first;
    private final int vocab;
    private INDArray grad;
    private double[] rowLoss;
    private INDArray rowMax;
    private INDArray rowSums;

    /** The cross-entropy of whole rows of logits. */
    public SoftmaxCrossEntropy() {
        this(ShardLayout.WHOLE, 0, -1);
    }

    /**
     * The cross-entropy of a {@code vocab}-wide softmax whose logits this instance holds only for
     * token ids from {@code first} on; {@code layout} combines the slices. With
     * {@link ShardLayout#WHOLE} and {@code first} 0 the rows are whole.
     */
    public SoftmaxCrossEntropy(ShardLayout layout, int first, int vocab) {
        if (layout == null) throw new IllegalArgumentException("layout is null; use ShardLayout.WHOLE for whole rows");
        this.layout = layout;
        this.first = first;
        this.vocab = vocab;
    }

    /**
     * logits: [rows, vocab] (overwritten by d(mean loss)/d(logits)); returns the mean loss in
     * nats per row.
     */
    public float forward(INDArray logits, int[] targets) {
        if (layout != ShardLayout.WHOLE) return forwardSliced(logits, targets);
        int rows = (int) logits.size(0);
        int vocab = (int) logits.size(1);
        checkTargets(targets, rows, vocab);
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

    /** One target per row, each an id in [0, vocab); sizes the per-row loss buffer. */
    private void checkTargets(int[] targets, int rows, int vocab) {
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
    }

    /** Vocabulary-sliced rows: local max, global max, local exponentials, one sum over the slices, gradient. */
    private float forwardSliced(INDArray logits, int[] targets) {
        int rows = (int) logits.size(0);
        int width = (int) logits.size(1);
        checkTargets(targets, rows, vocab);
        rowMax = Buffers.reuse(rowMax, rows);
        rowSums = Buffers.reuse(rowSums, 2L * rows); // [sum of exp(z - max) | target logit - max] per row
        FloatBuffer z = Buffers.floats(logits);
        FloatBuffer max = Buffers.floats(rowMax);
        FloatBuffer sums = Buffers.floats(rowSums);
        int off = (int) logits.offset();
        int maxOff = (int) rowMax.offset();
        int sumOff = (int) rowSums.offset();
        for (int r = 0; r < rows; r++) {
            float m = Float.NEGATIVE_INFINITY;
            for (int c = 0; c < width; c++) m = Math.max(m, z.get(off + r * width + c));
            max.put(maxOff + r, m);
        }
        layout.maxOverSlices(rowMax);
        Parallel.forRange(rows, 16, (chunk, from, to) -> {
            for (int r = from; r < to; r++) {
                int row = off + r * width;
                float m = max.get(maxOff + r);
                int t = targets[r] - first;
                sums.put(sumOff + rows + r, t >= 0 && t < width ? z.get(row + t) - m : 0f);
                double sum = 0;
                for (int c = 0; c < width; c++) {
                    float e = (float) Math.exp(z.get(row + c) - m);
                    z.put(row + c, e);
                    sum += e;
                }
                sums.put(sumOff + r, (float) sum);
            }
        });
        layout.sumPartials(rowSums);
        float invRows = 1f / rows;
        Parallel.forRange(rows, 16, (chunk, from, to) -> {
            for (int r = from; r < to; r++) {
                int row = off + r * width;
                double sum = sums.get(sumOff + r);
                float scale = (float) (invRows / sum);
                for (int c = 0; c < width; c++) z.put(row + c, z.get(row + c) * scale);
                int t = targets[r] - first;
                if (t >= 0 && t < width) z.put(row + t, z.get(row + t) - invRows);
                rowLoss[r] = Math.log(sum) - sums.get(sumOff + rows + r);
            }
        });
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
