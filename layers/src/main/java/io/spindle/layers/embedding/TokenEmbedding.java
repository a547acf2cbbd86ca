package io.spindle.layers.embedding;

import io.spindle.layers.core.Buffers;
import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.Parameter;
import io.spindle.layers.core.ParameterRole;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.core.ShardLayout;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;

/**
 * Token embedding table {@code E: [vocab, dModel]}; row t of the output is {@code E[token_t]}.
 * The backward is a scatter-add, so a token that occurs twice receives both gradients (the
 * case SameDiff's gather gradient gets wrong, see measured-facts).
 *
 * <p>When the parameter set holds a slice of the table's rows (a vocabulary-parallel embedding),
 * rows for tokens outside the slice are zero and the slices' outputs are summed, so every holder
 * ends with the whole lookup; backward adds only into the held rows.
 */
public final class TokenEmbedding {
    private final Parameter table;
    private final ShardLayout layout;
    private final int vocab;
    private final int dModel;
    /** The held rows: token ids [first, first + rows). The whole vocabulary on a single device. */
    private final int first;
    private final int rows;
    private int[] tokens;
    private INDArray y;

    /** Registers {@code name} with shape {@code [vocab, dModel]} and role EMBEDDING. */
    public TokenEmbedding(ParameterSet params, String name, int vocab, int dModel, Initializer init) {
        this.vocab = vocab;
        this.dModel = dModel;
        this.table = params.add(name, new long[] {vocab, dModel}, ParameterRole.EMBEDDING, init);
        this.layout = params.layout();
        if (!table.slice().isWhole() && table.slice().dim() != 0) {
            throw new IllegalArgumentException(name + " can be sliced by vocabulary rows only, not along axis "
                    + table.slice().dim());
        }
        this.first = (int) table.slice().start(table.logicalShape());
        this.rows = (int) table.shape()[0];
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
            int row = tokens[r] - first;
            int dst = yOff + r * dModel;
            if (row < 0 || row >= rows) {
                for (int c = 0; c < dModel; c++) out.put(dst + c, 0f); // another slice holds this token
                continue;
            }
            int src = eOff + row * dModel;
            for (int c = 0; c < dModel; c++) out.put(dst + c, e.get(src + c));
        }
        if (!table.slice().isWhole()) layout.sumPartials(y);
        return y;
    }

    /** dE[token_r] += dy[r] for every row r of the last forward (whose token this instance holds). */
    public void backward(INDArray dy) {
        if (tokens == null) throw new IllegalStateException(table.name() + ": backward() before forward()");
        FloatBuffer g = Buffers.floats(table.grad());
        FloatBuffer d = Buffers.floats(dy);
        int gOff = (int) table.grad().offset();
        int dOff = (int) dy.offset();
        for (int r = 0; r < tokens.length; r++) {
            int row = tokens[r] - first;
            if (row < 0 || row >= rows) continue;
            int dst = gOff + row * dModel;
            int src = dOff + r * dModel;
            for (int c = 0; c < dModel; c++) g.put(dst + c, g.get(dst + c) + d.get(src + c));
        }
    }
}
