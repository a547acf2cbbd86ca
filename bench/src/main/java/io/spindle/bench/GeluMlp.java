package io.spindle.bench;

import io.spindle.layers.core.Buffers;
import io.spindle.layers.core.FeedForward;
import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.Parallel;
import io.spindle.layers.core.Parameter;
import io.spindle.layers.core.ParameterRole;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.kan.ChannelBias;
import io.spindle.layers.kan.Gelu;
import io.spindle.layers.linear.Linear;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;

/**
 * The MLP that GR-KAN replaces, {@code y = fc2(gelu(fc1(x) + b1)) + b2}, built from the same parts
 * and written as tightly: fc1's bias is added in the GELU pass, its gradient summed in the GELU
 * backward pass, and GELU's derivative is taken from the stored pre-activation, so the comparison
 * measures the activation, not a slower baseline.
 */
final class GeluMlp implements FeedForward {
    private static final int MIN_ROWS_PER_CHUNK = 16;

    private final int hidden;
    private final Linear fc1;
    private final Parameter b1;
    private final Linear fc2;
    private final ChannelBias b2;
    private final double[][] b1Sums = new double[Parallel.threads()][];
    private INDArray pre;
    private INDArray act;
    private INDArray dPre;

    GeluMlp(ParameterSet params, int dModel, int hidden, Initializer init) {
        this.hidden = hidden;
        this.fc1 = new Linear(params, "mlp.fc1", dModel, hidden, ParameterRole.MATRIX, init);
        this.b1 = params.add("mlp.fc1_bias", new long[] {hidden}, ParameterRole.BIAS, Initializer.constant(0f));
        this.fc2 = new Linear(params, "mlp.fc2", hidden, dModel, ParameterRole.MATRIX, init);
        this.b2 = new ChannelBias(params.add("mlp.fc2_bias", new long[] {dModel}, ParameterRole.BIAS, Initializer.constant(0f)));
    }

    @Override
    public INDArray forward(INDArray x) {
        pre = fc1.forward(x); // fc1's output buffer; fc1's backward does not read it, so it holds x W1^T + b1
        int rows = (int) pre.size(0);
        act = Buffers.reuse(act, rows, hidden);
        float[] bias = new float[hidden];
        Buffers.floats(b1.value()).get((int) b1.value().offset(), bias, 0, hidden);
        FloatBuffer ps = Buffers.floats(pre);
        FloatBuffer as = Buffers.floats(act);
        int pOff = (int) pre.offset();
        int aOff = (int) act.offset();
        Parallel.forRange(rows, MIN_ROWS_PER_CHUNK, (chunk, from, to) -> {
            float[] in = new float[hidden];
            float[] out = new float[hidden];
            for (int r = from; r < to; r++) {
                ps.get(pOff + r * hidden, in, 0, hidden);
                for (int c = 0; c < hidden; c++) in[c] += bias[c];
                Gelu.forward(in, out, 0, hidden);
                ps.put(pOff + r * hidden, in, 0, hidden);
                as.put(aOff + r * hidden, out, 0, hidden);
            }
        });
        INDArray y = fc2.forward(act);
        b2.addTo(y);
        return y;
    }

    @Override
    public INDArray backward(INDArray dy) {
        b2.backward(dy);
        INDArray dAct = fc2.backward(dy);
        int rows = (int) dAct.size(0);
        dPre = Buffers.reuse(dPre, rows, hidden);
        FloatBuffer ps = Buffers.floats(pre);
        FloatBuffer gs = Buffers.floats(dAct);
        FloatBuffer ds = Buffers.floats(dPre);
        int pOff = (int) pre.offset();
        int gOff = (int) dAct.offset();
        int dOff = (int) dPre.offset();
        for (double[] s : b1Sums) if (s != null) java.util.Arrays.fill(s, 0);
        Parallel.forRange(rows, MIN_ROWS_PER_CHUNK, (chunk, from, to) -> {
            if (b1Sums[chunk] == null) b1Sums[chunk] = new double[hidden];
            double[] sum = b1Sums[chunk];
            float[] in = new float[hidden];
            float[] g = new float[hidden];
            for (int r = from; r < to; r++) {
                ps.get(pOff + r * hidden, in, 0, hidden);
                gs.get(gOff + r * hidden, g, 0, hidden);
                Gelu.backward(in, g, g, 0, hidden);
                for (int c = 0; c < hidden; c++) sum[c] += g[c];
                ds.put(dOff + r * hidden, g, 0, hidden);
            }
        });
        FloatBuffer bg = Buffers.floats(b1.grad());
        int bOff = (int) b1.grad().offset();
        for (int c = 0; c < hidden; c++) {
            double total = 0;
            for (double[] s : b1Sums) if (s != null) total += s[c];
            bg.put(bOff + c, (float) (bg.get(bOff + c) + total));
        }
        return fc1.backward(dPre);
    }
}
