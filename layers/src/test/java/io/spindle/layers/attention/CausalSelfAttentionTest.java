package io.spindle.layers.attention;

import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.Parameter;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.testing.FiniteDifference;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

class CausalSelfAttentionTest {
    private static final int BATCH = 2, SEQ = 5, D_MODEL = 8, HEADS = 2;

    private static CausalSelfAttention build(ParameterSet params) {
        return build(params, D_MODEL, HEADS, SEQ, 0.5);
    }

    private static CausalSelfAttention build(ParameterSet params, int dModel, int heads, int seq, double std) {
        CausalSelfAttention attn = new CausalSelfAttention(params, "attn", dModel, heads, seq, 10_000,
                Initializer.normal(std), Initializer.normal(std));
        params.allocate(21);
        return attn;
    }

    private static double[][] reference(INDArray x, ParameterSet p) {
        return reference(x, p, BATCH, SEQ, D_MODEL, HEADS);
    }

    /** Plain double-precision attention from the formulas, one (batch, head, query) at a time. */
    private static double[][] reference(INDArray x, ParameterSet p, int batchSize, int seqLen, int dModel, int nHeads) {
        final int BATCH = batchSize, SEQ = seqLen, D_MODEL = dModel, HEADS = nHeads;
        int rows = BATCH * SEQ, hd = D_MODEL / HEADS;
        double[][] q = project(x, p.get("attn.wq").value()), k = project(x, p.get("attn.wk").value());
        double[][] v = project(x, p.get("attn.wv").value());
        for (double[][] m : new double[][][] {q, k}) {
            for (int r = 0; r < rows; r++) {
                for (int h = 0; h < HEADS; h++) {
                    for (int i = 0; i < hd / 2; i++) {
                        double angle = (r % SEQ) * Math.pow(10_000, -2.0 * i / hd);
                        int a = h * hd + i, b = a + hd / 2;
                        double x1 = m[r][a], x2 = m[r][b];
                        m[r][a] = x1 * Math.cos(angle) - x2 * Math.sin(angle);
                        m[r][b] = x1 * Math.sin(angle) + x2 * Math.cos(angle);
                    }
                }
            }
        }
        double[][] merged = new double[rows][D_MODEL];
        for (int b = 0; b < BATCH; b++) {
            for (int h = 0; h < HEADS; h++) {
                for (int i = 0; i < SEQ; i++) {
                    double[] w = new double[i + 1];
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int j = 0; j <= i; j++) {
                        for (int c = 0; c < hd; c++) w[j] += q[b * SEQ + i][h * hd + c] * k[b * SEQ + j][h * hd + c];
                        w[j] /= Math.sqrt(hd);
                        max = Math.max(max, w[j]);
                    }
                    for (int j = 0; j <= i; j++) sum += w[j] = Math.exp(w[j] - max);
                    for (int j = 0; j <= i; j++) {
                        for (int c = 0; c < hd; c++) merged[b * SEQ + i][h * hd + c] += w[j] / sum * v[b * SEQ + j][h * hd + c];
                    }
                }
            }
        }
        return project(FiniteDifference.fromDoubles(flatten(merged), rows, D_MODEL), p.get("attn.wo").value());
    }

    private static double[][] project(INDArray x, INDArray w) {
        double[][] y = new double[(int) x.size(0)][(int) w.size(0)];
        for (int r = 0; r < y.length; r++) {
            for (int o = 0; o < y[r].length; o++) {
                for (int i = 0; i < w.size(1); i++) y[r][o] += (double) x.getFloat(r, i) * w.getFloat(o, i);
            }
        }
        return y;
    }

    private static double[] flatten(double[][] m) {
        double[] out = new double[m.length * m[0].length];
        for (int r = 0; r < m.length; r++) System.arraycopy(m[r], 0, out, r * m[r].length, m[r].length);
        return out;
    }

    @Test
    void forwardMatchesDoublePrecisionReference() {
        ParameterSet params = new ParameterSet();
        CausalSelfAttention attn = build(params);
        INDArray x = FiniteDifference.normal(new SplittableRandom(1), 1, BATCH * SEQ, D_MODEL);
        INDArray y = attn.forward(x, BATCH, SEQ);
        double[][] want = reference(x, params);
        for (int r = 0; r < BATCH * SEQ; r++) {
            for (int c = 0; c < D_MODEL; c++) assertEquals(want[r][c], y.getFloat(r, c), 1e-4, "y[" + r + "," + c + "]");
        }
    }

    @Test
    void queryBlocksKeepPerHeadProductsSingleThreadedInOpenBlas() {
        assertEquals(64, CausalAttentionCore.queryBlock(64, 32));
        assertEquals(64, CausalAttentionCore.queryBlock(128, 32));
        assertEquals(16, CausalAttentionCore.queryBlock(256, 64));
        assertEquals(5, CausalAttentionCore.queryBlock(5, 4));
        assertEquals(42, CausalAttentionCore.queryBlock(48, 128));
    }

    /** seq 48 with head size 128 runs as query blocks of 42 and 6 rows: the blocked path, uneven. */
    @Test
    void severalQueryBlocksMatchReferenceAndFiniteDifferences() {
        int batch = 2, seq = 48, dModel = 256, heads = 2;
        SplittableRandom random = new SplittableRandom(8);
        ParameterSet params = new ParameterSet();
        CausalSelfAttention attn = build(params, dModel, heads, seq, 0.08);
        INDArray x = FiniteDifference.normal(random, 1, batch * seq, dModel);
        INDArray y = attn.forward(x, batch, seq);
        double[][] want = reference(x, params, batch, seq, dModel, heads);
        for (int r = 0; r < batch * seq; r++) {
            for (int c = 0; c < dModel; c++) assertEquals(want[r][c], y.getFloat(r, c), 1e-4, "y[" + r + "," + c + "]");
        }
        INDArray r = FiniteDifference.normal(random, 1, batch * seq, dModel);
        INDArray dx = attn.backward(r).dup();
        FiniteDifference.check("blocked attention dx", x, dx, () -> FiniteDifference.dot(attn.forward(x, batch, seq), r),
                2e-3, 2e-3, random);
        for (Parameter p : params.parameters()) {
            FiniteDifference.check("blocked attention d" + p.name(), p.value(), p.grad(),
                    () -> FiniteDifference.dot(attn.forward(x, batch, seq), r), 2e-3, 2e-3, random);
        }
    }

    @Test
    void laterPositionsDoNotInfluenceEarlierOnes() {
        ParameterSet params = new ParameterSet();
        CausalSelfAttention attn = build(params);
        INDArray x = FiniteDifference.normal(new SplittableRandom(2), 1, BATCH * SEQ, D_MODEL);
        INDArray before = attn.forward(x, BATCH, SEQ).dup();
        x.getRow(3).addi(5f); // position 3 of sequence 0
        INDArray after = attn.forward(x, BATCH, SEQ);
        for (int r = 0; r < BATCH * SEQ; r++) {
            if (r < 3 || r >= SEQ) assertEquals(before.getRow(r), after.getRow(r), "row " + r + " changed");
        }
        assertNotEquals(before.getRow(3), after.getRow(3));
        assertNotEquals(before.getRow(4), after.getRow(4));
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        SplittableRandom random = new SplittableRandom(3);
        ParameterSet params = new ParameterSet();
        CausalSelfAttention attn = build(params);
        INDArray x = FiniteDifference.normal(random, 1, BATCH * SEQ, D_MODEL);
        INDArray r = FiniteDifference.normal(random, 1, BATCH * SEQ, D_MODEL);
        attn.forward(x, BATCH, SEQ);
        INDArray dx = attn.backward(r).dup();
        FiniteDifference.check("attention dx", x, dx, () -> FiniteDifference.dot(attn.forward(x, BATCH, SEQ), r),
                1e-2, 1e-3, random);
        for (Parameter p : params.parameters()) {
            FiniteDifference.check("attention d" + p.name(), p.value(), p.grad(),
                    () -> FiniteDifference.dot(attn.forward(x, BATCH, SEQ), r), 1e-2, 1e-3, random);
        }
    }
}
