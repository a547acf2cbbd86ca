package io.spindle.optim.math;

import io.spindle.optim.ContiguousFloats;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * NorMuon's neuron-wise normalization (arXiv:2510.05491, Algorithm 1): the orthogonalized update O
 * has equal singular values but can still give some output neurons much larger steps than others,
 * so each row is divided by the root of an exponential average of its mean square, and the
 * Frobenius norm O had before is restored so the step size stays Muon's.
 */
public final class NeuronNormalization {
    /** Keeps the division finite for a row that has been all-zero so far. */
    public static final double EPS = 1e-10;

    private NeuronNormalization() {}

    /**
     * Normalizes {@code o} [out, in] in place and updates {@code v} [out, 1] in place, both dense
     * float32:
     * <pre>
     * n = ||O||_F
     * V = V + (1 - beta2)(mean_row(O^2) - V)
     * O = O / (sqrt(V) + 1e-10)            (per row)
     * O = O n / (||O||_F + 1e-10)
     * </pre>
     * Three Java passes over O (row sums of squares; row division with the new norm's sum; the
     * final scale), sums in double.
     *
     * @return {@code o}
     */
    public static INDArray normalize(INDArray o, INDArray v, double beta2) {
        if (o.rank() != 2 || !Arrays.equals(v.shape(), new long[] {o.rows(), 1})) {
            throw new IllegalArgumentException("neuron normalization needs O [out, in] and V [out, 1], got "
                    + Arrays.toString(o.shape()) + " and " + Arrays.toString(v.shape()));
        }
        if (!(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("NorMuon beta2=" + beta2 + " must be in [0, 1)");
        }
        FloatBuffer ob = ContiguousFloats.buffer(o, "NorMuon update O");
        FloatBuffer vb = ContiguousFloats.buffer(v, "NorMuon second moment V");
        int o0 = ContiguousFloats.start(o);
        int v0 = ContiguousFloats.start(v);
        int rows = Math.toIntExact(o.rows());
        int cols = Math.toIntExact(o.columns());
        double before = 0;
        double after = 0;
        for (int r = 0; r < rows; r++) {
            int row = o0 + r * cols;
            double squares = FrobeniusNorm.sumOfSquares(ob, row, cols);
            before += squares;
            float vr = vb.get(v0 + r);
            vr += (float) ((1 - beta2) * (squares / cols - vr));
            vb.put(v0 + r, vr);
            float inverse = (float) (1 / (Math.sqrt(vr) + EPS));
            for (int j = row; j < row + cols; j++) {
                float x = ob.get(j) * inverse;
                ob.put(j, x);
                after += (double) x * x;
            }
        }
        float restore = (float) (Math.sqrt(before) / (Math.sqrt(after) + EPS));
        for (int j = o0, end = o0 + rows * cols; j < end; j++) ob.put(j, ob.get(j) * restore);
        return o;
    }
}
