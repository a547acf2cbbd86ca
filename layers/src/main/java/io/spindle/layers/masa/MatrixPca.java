package io.spindle.layers.masa;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Builds a MASA dictionary from trained per-layer matrices by PCA over layers (the paper's
 * "Matrix PCA" for converting a pretrained model): each matrix is one sample, flattened. Atom 0 is
 * the mean matrix, with coefficient 1 in every layer; atoms 1..S-1 are the top S-1 principal
 * directions of the centred matrices, and a layer's coefficients are its coordinates along them:
 * {@code W_l ≈ mean + sum_s c[l, s] U_s}, the best rank-(S-1) affine fit in Frobenius norm
 * (Eckart–Young). Matrices that lie in an affine subspace of dimension S-1, in particular in a
 * linear subspace of dimension S-1, are reproduced exactly.
 *
 * <p>Principal directions come from the L×L Gram matrix of the centred layers (L is small, the
 * matrices large), in double precision. They are scaled to the layers' RMS Frobenius norm, so the
 * atoms have the scale of the trained weights and the coefficients are of order one.
 */
public final class MatrixPca {
    /** Eigenvalues below this fraction of the largest count as zero (the layers span fewer directions). */
    private static final double RANK_TOLERANCE = 1e-12;

    /** atoms: [S, out, in]; coefficients: [layers, S]; W_l = sum_s coefficients[l, s] atoms[s]. */
    public record Dictionary(INDArray atoms, INDArray coefficients) {
        /** W_l as the dictionary gives it, [out, in], float32. */
        public INDArray reconstruct(int layer) {
            long s = atoms.size(0);
            INDArray flat = coefficients.getRow(layer).reshape(1, s).mmul(atoms.reshape('c', s, atoms.size(1) * atoms.size(2)));
            return flat.reshape('c', atoms.size(1), atoms.size(2));
        }
    }

    private MatrixPca() {}

    /** A dictionary of {@code atoms} atoms for the given per-layer matrices (all of one shape). */
    public static Dictionary fit(List<INDArray> layerMatrices, int atoms) {
        int layers = layerMatrices.size();
        if (layers == 0) throw new IllegalArgumentException("MASA conversion needs at least one layer matrix");
        if (atoms < 1 || atoms > layers) {
            throw new IllegalArgumentException("MASA conversion: atoms=" + atoms + " must be in [1, layers=" + layers + "]");
        }
        long[] shape = layerMatrices.get(0).shape();
        if (shape.length != 2) throw new IllegalArgumentException("MASA conversion needs 2-D matrices, got " + java.util.Arrays.toString(shape));
        int size = Math.toIntExact(shape[0] * shape[1]);
        double[][] x = new double[layers][];
        for (int l = 0; l < layers; l++) {
            INDArray m = layerMatrices.get(l);
            if (!java.util.Arrays.equals(m.shape(), shape)) {
                throw new IllegalArgumentException("MASA conversion: layer " + l + " has shape " + java.util.Arrays.toString(m.shape())
                        + ", layer 0 " + java.util.Arrays.toString(shape) + "; one dictionary holds matrices of one shape");
            }
            x[l] = m.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        }
        double[] mean = new double[size];
        for (double[] row : x) for (int i = 0; i < size; i++) mean[i] += row[i] / layers;
        double meanSquaredNorm = 0;
        for (double[] row : x) meanSquaredNorm += dot(row, row) / layers;
        double scale = meanSquaredNorm > 0 ? Math.sqrt(meanSquaredNorm) : 1;
        for (double[] row : x) for (int i = 0; i < size; i++) row[i] -= mean[i];

        double[][] gram = new double[layers][layers];
        for (int i = 0; i < layers; i++) {
            for (int j = i; j < layers; j++) gram[i][j] = gram[j][i] = dot(x[i], x[j]);
        }
        SymmetricEigen.Result eigen = SymmetricEigen.decompose(gram);

        double[][] atomData = new double[atoms][];
        double[][] coefficients = new double[layers][atoms];
        atomData[0] = mean;
        for (int l = 0; l < layers; l++) coefficients[l][0] = 1;
        double largest = Math.max(eigen.values()[0], 0);
        SplittableRandom filler = new SplittableRandom(0);
        for (int s = 1; s < atoms; s++) {
            int k = s - 1;
            double lambda = eigen.values()[k];
            if (lambda > RANK_TOLERANCE * largest && lambda > 0) {
                // U = Xc^T v / sqrt(lambda) has unit norm; c[l] = sqrt(lambda) v[l] are the coordinates.
                double[] u = new double[size];
                for (int l = 0; l < layers; l++) {
                    double w = eigen.vectors()[l][k] / Math.sqrt(lambda);
                    for (int i = 0; i < size; i++) u[i] += w * x[l][i];
                }
                for (int i = 0; i < size; i++) u[i] *= scale;
                atomData[s] = u;
                for (int l = 0; l < layers; l++) coefficients[l][s] = Math.sqrt(lambda) * eigen.vectors()[l][k] / scale;
            } else {
                // The layers span fewer directions than atoms were asked for: a random direction with
                // zero weight reproduces them exactly and still receives gradient once training resumes.
                double[] u = new double[size];
                for (int i = 0; i < size; i++) u[i] = filler.nextDouble() - 0.5;
                double norm = Math.sqrt(dot(u, u));
                for (int i = 0; i < size; i++) u[i] *= scale / norm;
                atomData[s] = u;
            }
        }
        INDArray atomArray = Nd4j.create(flatten(atomData), new long[] {atoms, shape[0], shape[1]}, DataType.DOUBLE);
        INDArray coefficientArray = Nd4j.create(flatten(coefficients), new long[] {layers, atoms}, DataType.DOUBLE);
        return new Dictionary(atomArray.castTo(DataType.FLOAT), coefficientArray.castTo(DataType.FLOAT));
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    private static double[] flatten(double[][] rows) {
        int n = 0;
        for (double[] r : rows) n += r.length;
        double[] out = new double[n];
        int at = 0;
        for (double[] r : rows) {
            System.arraycopy(r, 0, out, at, r.length);
            at += r.length;
        }
        return out;
    }
}
