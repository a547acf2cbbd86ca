package io.spindle.data.sampling;

/**
 * The fixed validation set: the validation stream cut into the same stride-{@code seq} windows as
 * training, taken in stream order and grouped into full batches, at most {@code maxBatches} of
 * them. Every evaluation therefore scores exactly the same tokens, so validation losses of one run
 * (and of runs with the same data, seq and batch) are comparable. Windows that do not fill a last
 * batch are left out, which keeps every batch the same shape.
 */
public final class ValidationBatches {
    private final int[] tokens;
    private final int seq;
    private final int batch;
    private final int size;

    public ValidationBatches(int[] tokens, int seq, int batch, int maxBatches) {
        if (seq < 1 || batch < 1 || maxBatches < 0) {
            throw new IllegalArgumentException("seq=" + seq + ", batch=" + batch + " must be positive and maxBatches="
                    + maxBatches + " non-negative");
        }
        this.tokens = tokens;
        this.seq = seq;
        this.batch = batch;
        long windows = tokens.length < 1 ? 0 : (tokens.length - 1L) / seq;
        this.size = (int) Math.min(maxBatches, windows / batch);
    }

    /** Number of batches; zero when the validation stream holds fewer than {@code batch} windows. */
    public int size() {
        return size;
    }

    public boolean isEmpty() {
        return size == 0;
    }

    /** Tokens scored per batch ({@code batch * seq}). */
    public int tokensPerBatch() {
        return batch * seq;
    }

    /** Fills batch {@code index}: its row {@code r} is window {@code index * batch + r}. */
    public void fill(int index, int[] inputs, int[] targets) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException("validation batch " + index + " of " + size);
        }
        int perBatch = batch * seq;
        if (inputs.length != perBatch || targets.length != perBatch) {
            throw new IllegalArgumentException("inputs and targets must hold batch*seq=" + perBatch + " ids, got "
                    + inputs.length + " and " + targets.length);
        }
        for (int row = 0; row < batch; row++) {
            int start = (index * batch + row) * seq;
            System.arraycopy(tokens, start, inputs, row * seq, seq);
            System.arraycopy(tokens, start + 1, targets, row * seq, seq);
        }
    }

    /** The inputs of batches {@code from .. from+count-1}, end to end: {@code count * batch} sequences (calibration data). */
    public int[] inputs(int from, int count) {
        int perBatch = batch * seq;
        int[] out = new int[count * perBatch];
        int[] inputs = new int[perBatch];
        int[] targets = new int[perBatch];
        for (int b = 0; b < count; b++) {
            fill(from + b, inputs, targets);
            System.arraycopy(inputs, 0, out, b * perBatch, perBatch);
        }
        return out;
    }
}
