package io.spindle.layers.embedding;

import io.spindle.layers.core.Buffers;
import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.Parameter;
import io.spindle.layers.core.ParameterRole;
import io.spindle.layers.core.ParameterSet;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;

/**
 * Token embedding table {@code E: [vocab, dModel]}; row t of the output is {@code E[token_t]}.
 * The backward is a scatter-add, so a token that occurs twice receives both gradients (the
 * case SameDiff's gather gradient gets wrong, see measured-facts).
 */
public final class TokenEmbedding {
    private final Parameter table;
    private final int vocab;
    private final int dModel;
    private int[] tokens;
    private INDArray y;

    /** Registers {@code name} with shape {@code [vocab, dModel]} and role EMBEDDING. */
    public TokenEmbedding(ParameterSet params, String name, int vocab, int dModel, Initializer init) {
        this.vocab = vocab;
        this.dModel = dModel;
        this.table = params.add(name, new long[] {vocab, dModel}, ParameterRole.EMBEDDING, init);
    }

    public Parameter table() { return table; }

    /** tokens: [rows] ids in [0, vocab) → [rows, dModel], owned by this layer. */
    public INDArray forward(int[] tokens) {
        for (int r = 0; r < tokens.length; r++) {
            if (tokens[r] < 0 || tokens[r] >= vocab) {
                throw new IllegalArgumentException("token id " + tokens[r] + " at position " + r
                        + " is outside the vocabulary [0, " + vocab + ")");
            }
        }
        this.tokens = tokens.clone();
        y = Buffers.reuse(y, tokens.length, dModel);
        FloatBuffer e = Buffers.floats(table.value());
        FloatBuffer out = Buffers.floats(y);
        int eOff = (int) table.value().offset();
        int yOff = (int) y.offset();
        for (int r = 0; r < tokens.length; r++) {
            int src = eOff + tokens[r] * dModel;
            int dst = yOff + r * dModel;
            for (int c = 0; c < dModel; c++) out.put(dst + c, e.get(src + c));
        }
        return y;
    }

    /** dE[token_r] += dy[r] for every row r of the last forward. */
    public void backward(INDArray dy) {
        if (tokens == null) throw new IllegalStateException(table.name() + ": backward() before forward()");
        FloatBuffer g = Buffers.floats(table.grad());
        FloatBuffer d = Buffers.floats(dy);
        int gOff = (int) table.grad().offset();
        int dOff = (int) dy.offset();
        for (int r = 0; r < tokens.length; r++) {
            int dst = gOff + tokens[r] * dModel;
            int src = dOff + r * dModel;
            for (int c = 0; c < dModel; c++) g.put(dst + c, g.get(dst + c) + d.get(src + c));
        }
    }
}
