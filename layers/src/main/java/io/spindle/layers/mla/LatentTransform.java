package io.spindle.layers.mla;

import io.spindle.layers.masa.SymmetricEigen;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;

/**
 * Orthogonal transforms U of the latent applied before TPLA slices it (Tang et al. 2025, §3.3):
 * they spread (Hadamard) or sort (PCA) the latent's energy over the slices, so each slice's
 * partial scores say more about the full ones. {@link #fold} writes U into the weights, so the
 * model computes {@code c' = c U} and MLA over the full latent is unchanged.
 */
public final class LatentTransform {
    /** How a converted model's latent is rotated before slicing. */
    public enum Kind { NONE, HADAMARD, PCA }

    private LatentTransform() {}

    /**
     * The normalized Sylvester–Hadamard matrix H_n / sqrt(n), n a power of two: orthogonal and
     * symmetric, every entry ±1/sqrt(n), so each rotated coordinate mixes all the old ones equally.
     */
    public static INDArray hadamard(int n) {
        if (n < 1 || Integer.bitCount(n) != 1) {
            throw new IllegalArgumentException("the Hadamard transform needs model.mla.latent to be a power of two, got "
                    + n + "; use --transform pca or none");
        }
        double[] h = new double[n * n];
        h[0] = 1;
        for (int size = 1; size < n; size *= 2) {
            for (int i = 0; i < size; i++) {
                for (int j = 0; j < size; j++) {
                    double v = h[i * n + j];
                    h[i * n + j + size] = v;
                    h[(i + size) * n + j] = v;
                    h[(i + size) * n + j + size] = -v;
                }
            }
        }
        double norm = 1 / Math.sqrt(n);
        for (int i = 0; i < h.length; i++) h[i] *= norm;
        return Nd4j.create(h, new long[] {n, n}, DataType.DOUBLE);
    }

    /**
     * PCA of calibration latents: U's columns are the eigenvectors of the uncentred second moment
     * {@code C = sum_rows c^T c} in descending order of eigenvalue, so slice 0 receives the
     * directions that carry most of the latent's energy (and of the scores q~ · c).
     *
     * @param latents blocks of rows [n_i, r] of one layer's normalized latent
     */
    public static INDArray pca(List<INDArray> latents) {
        if (latents.isEmpty()) throw new IllegalArgumentException("PCA needs calibration latents; none were given");
        int r = (int) latents.get(0).size(1);
        double[][] second = new double[r][r];
        for (INDArray block : latents) {
            double[] c = block.castTo(DataType.DOUBLE).dup('c').data().asDouble();
            int rows = (int) block.size(0);
            for (int n = 0; n < rows; n++) {
                for (int i = 0; i < r; i++) {
                    double ci = c[n * r + i];
                    for (int j = i; j < r; j++) second[i][j] += ci * c[n * r + j];
                }
            }
        }
        for (int i = 0; i < r; i++) for (int j = 0; j < i; j++) second[i][j] = second[j][i];
        double[][] vectors = SymmetricEigen.decompose(second).vectors();
        double[] u = new double[r * r];
        for (int i = 0; i < r; i++) System.arraycopy(vectors[i], 0, u, i * r, r);
        return Nd4j.create(u, new long[] {r, r}, DataType.DOUBLE);
    }

    /** One layer's latent-side weights; {@code gain} is null when the latent is not normalized. */
    public record LatentWeights(INDArray wdkv, INDArray gain, INDArray wuk, INDArray wuv) {}

    /**
     * Folds orthogonal {@code u} [r, r] into the weights so that the new latent is {@code c U}:
     * the norm's gain g first moves into the up-projections (then the norm, now without gain,
     * commutes with U because rms(cU) = rms(c)), then {@code W_dkv' = U^T W_dkv},
     * {@code W_uk' = W_uk diag(g) U}, {@code W_uv' = W_uv diag(g) U}, g' = 1. Since
     * {@code (cU)(W diag(g) U)^T = c diag(g) W^T}, keys, values and MLA's output are unchanged.
     */
    public static LatentWeights fold(LatentWeights w, INDArray u) {
        int r = (int) w.wdkv().size(0);
        if (u.rank() != 2 || u.size(0) != r || u.size(1) != r) {
            throw new IllegalArgumentException("transform of shape " + java.util.Arrays.toString(u.shape())
                    + " does not match the latent width " + r);
        }
        INDArray ud = u.castTo(DataType.DOUBLE);
        INDArray scaled = ud;
        if (w.gain() != null) scaled = ud.mulColumnVector(w.gain().castTo(DataType.DOUBLE).reshape(r, 1));
        INDArray wdkv = ud.transpose().mmul(w.wdkv().castTo(DataType.DOUBLE));
        INDArray wuk = w.wuk().castTo(DataType.DOUBLE).mmul(scaled);
        INDArray wuv = w.wuv().castTo(DataType.DOUBLE).mmul(scaled);
        INDArray gain = w.gain() == null ? null : Nd4j.ones(DataType.FLOAT, r);
        return new LatentWeights(wdkv.castTo(DataType.FLOAT), gain, wuk.castTo(DataType.FLOAT), wuv.castTo(DataType.FLOAT));
    }
}
