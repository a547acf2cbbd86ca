package io.spindle.layers.model;

import io.spindle.layers.core.Buffers;
import io.spindle.layers.core.SequenceMixer;
import io.spindle.layers.ssm.RecurrentMixer;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;
import java.util.ArrayDeque;

/**
 * Causal attention in a model that generates token by token (because other blocks are
 * state-space layers): the "state" is the attention's own inputs at the last {@code window}
 * positions, and each step re-runs the attention over them and keeps the last position (no KV
 * cache; attention is O(window) per token, the state-space blocks O(1)). Training passes straight
 * through to the wrapped attention.
 */
final class WindowedAttention implements RecurrentMixer {
    private final SequenceMixer attention;
    private final int dModel;
    private final int maxSeq;

    /** Wraps {@code attention}, whose position tables cover {@code maxSeq} positions (the longest window). */
    WindowedAttention(SequenceMixer attention, int dModel, int maxSeq) {
        this.attention = attention;
        this.dModel = dModel;
        this.maxSeq = maxSeq;
    }

    @Override
    public INDArray forward(INDArray x, int batch, int seq) {
        return attention.forward(x, batch, seq);
    }

    @Override
    public INDArray backward(INDArray dy) {
        return attention.backward(dy);
    }

    /** A state with the longest window, maxSeq positions. */
    @Override
    public State start(int batch) {
        return start(batch, maxSeq);
    }

    /** A state that keeps the last {@code window} inputs of each of {@code batch} sequences. */
    State start(int batch, int window) {
        if (window <= 0 || window > maxSeq) {
            throw new IllegalArgumentException("attention window " + window + " must be in 1.." + maxSeq + " (model.maxSeq)");
        }
        return new Window(batch, window);
    }

    @Override
    public INDArray step(INDArray x, State state) {
        Window w = (Window) state;
        int batch = w.batch();
        float[] rows = new float[batch * dModel];
        Buffers.floats(x).get((int) x.offset(), rows, 0, rows.length);
        if (w.past.size() == w.window) w.past.removeFirst();
        w.past.addLast(rows);
        int seq = w.past.size();
        // [batch*seq, dModel], sequence-major: row b*seq + t is token t of sequence b
        INDArray all = Buffers.zeros((long) batch * seq, dModel);
        FloatBuffer out = Buffers.floats(all);
        int t = 0;
        for (float[] step : w.past) {
            for (int b = 0; b < batch; b++) out.put((b * seq + t) * dModel, step, b * dModel, dModel);
            t++;
        }
        INDArray y = attention.forward(all, batch, seq);
        INDArray last = Buffers.zeros(batch, dModel);
        for (int b = 0; b < batch; b++) last.putRow(b, y.getRow((long) b * seq + seq - 1));
        return last;
    }

    private static final class Window implements State {
        final ArrayDeque<float[]> past = new ArrayDeque<>();
        final int window;
        private final int batch;

        Window(int batch, int window) {
            this.batch = batch;
            this.window = window;
        }

        @Override
        public int batch() { return batch; }
    }
}
