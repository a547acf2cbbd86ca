package io.spindle.layers.masa;

/**
 * Eigen-decomposition of a small symmetric matrix by cyclic Jacobi rotations, in double precision.
 * The matrices here are layer-by-layer Gram matrices (a few to a few dozen rows), for which Jacobi
 * is exact to rounding, needs no native LAPACK call and gives orthonormal eigenvectors even for
 * repeated eigenvalues.
 */
public final class SymmetricEigen {
    private static final int MAX_SWEEPS = 100;

    /** Eigenvalues in descending order and the matching unit eigenvectors as columns. */
    public record Result(double[] values, double[][] vectors) {}

    private SymmetricEigen() {}

    public static Result decompose(double[][] symmetric) {
        int n = symmetric.length;
        double[][] a = new double[n][];
        for (int i = 0; i < n; i++) {
            if (symmetric[i].length != n) throw new IllegalArgumentException("matrix is not square: row " + i);
            a[i] = symmetric[i].clone();
        }
        double[][] v = new double[n][n];
        for (int i = 0; i < n; i++) v[i][i] = 1;
        for (int sweep = 0; sweep < MAX_SWEEPS && offDiagonal(a) > 1e-30 * Math.max(1e-300, diagonal(a)); sweep++) {
            for (int p = 0; p < n - 1; p++) {
                for (int q = p + 1; q < n; q++) {
                    if (a[p][q] != 0) rotate(a, v, p, q);
                }
            }
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        java.util.Arrays.sort(order, (i, j) -> Double.compare(a[j][j], a[i][i]));
        double[] values = new double[n];
        double[][] vectors = new double[n][n];
        for (int k = 0; k < n; k++) {
            values[k] = a[order[k]][order[k]];
            for (int i = 0; i < n; i++) vectors[i][k] = v[i][order[k]];
        }
        return new Result(values, vectors);
    }

    /** Zeroes a[p][q] with the rotation of Golub &amp; Van Loan, Algorithm 8.4.1 (sym.schur2). */
    private static void rotate(double[][] a, double[][] v, int p, int q) {
        double tau = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        double t = Math.signum(tau) == 0 ? 1 : Math.signum(tau) / (Math.abs(tau) + Math.sqrt(1 + tau * tau));
        double c = 1 / Math.sqrt(1 + t * t);
        double s = t * c;
        int n = a.length;
        for (int k = 0; k < n; k++) {
            double akp = a[k][p], akq = a[k][q];
            a[k][p] = c * akp - s * akq;
            a[k][q] = s * akp + c * akq;
        }
        for (int k = 0; k < n; k++) {
            double apk = a[p][k], aqk = a[q][k];
            a[p][k] = c * apk - s * aqk;
            a[q][k] = s * apk + c * aqk;
        }
        for (int k = 0; k < n; k++) {
            double vkp = v[k][p], vkq = v[k][q];
            v[k][p] = c * vkp - s * vkq;
            v[k][q] = s * vkp + c * vkq;
        }
    }

    private static double offDiagonal(double[][] a) {
        double s = 0;
        for (int i = 0; i < a.length; i++) for (int j = 0; j < a.length; j++) if (i != j) s += a[i][j] * a[i][j];
        return s;
    }

    private static double diagonal(double[][] a) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i][i] * a[i][i];
        return s;
    }
}
