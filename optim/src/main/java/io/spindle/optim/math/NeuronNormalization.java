package io.spindle.optim.math;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

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
     * Normalizes {@code o} [out, in] in place and updates {@code v} [out, 1] in place:
     * <pre>
     * n = ||O||_F
     * V = V + (1 - beta2)(mean_row(O^2) - V)
     * O = O / (sqrt(V) + 1e-10)            (per row)
     * O = O n / (||O||_F + 1e-10)
     * </pre>
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
        double norm = o.norm2Number().doubleValue();
        INDArray rowMeanSquare = o.mul(o).mean(true, 1);
        v.addi(rowMeanSquare.subi(v).muli(1 - beta2));
        o.diviColumnVector(Transforms.sqrt(v, true).addi(EPS));
        o.muli(norm / (o.norm2Number().doubleValue() + EPS));
        return o;
    }
}
