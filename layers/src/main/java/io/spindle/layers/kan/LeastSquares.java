package io.spindle.layers.kan;

/**
 * Dense linear least squares {@code min ||A x − b||} by Householder QR, for the small, badly
 * scaled systems of {@link RationalFit} (columns 1 … x^5): QR works on A itself, where normal
 * equations would square its condition number.
 */
final class LeastSquares {
    private LeastSquares() {}

    /** Solves in place: {@code a} is m×n with m ≥ n and full column rank; a and b are overwritten. */
    static double[] solve(double[][] a, double[] b) {
        int m = a.length;
        int n = a[0].length;
        if (m < n) throw new IllegalArgumentException("least squares needs at least as many rows as columns, got " + m + "x" + n);
        for (int k = 0; k < n; k++) {
            double norm = 0;
            for (int i = k; i < m; i++) norm += a[i][k] * a[i][k];
            norm = Math.sqrt(norm);
            if (norm == 0) throw new IllegalArgumentException("least squares: column " + k + " is zero, the system is rank deficient");
            double alpha = a[k][k] > 0 ? -norm : norm;
            // v = a[k:,k] - alpha e_k, stored in a[k:,k]; H = I - 2 v v^T / (v^T v)
            a[k][k] -= alpha;
            double vtv = 0;
            for (int i = k; i < m; i++) vtv += a[i][k] * a[i][k];
            for (int j = k + 1; j < n; j++) {
                double s = 0;
                for (int i = k; i < m; i++) s += a[i][k] * a[i][j];
                double f = 2 * s / vtv;
                for (int i = k; i < m; i++) a[i][j] -= f * a[i][k];
            }
            double s = 0;
            for (int i = k; i < m; i++) s += a[i][k] * b[i];
            double f = 2 * s / vtv;
            for (int i = k; i < m; i++) b[i] -= f * a[i][k];
            a[k][k] = alpha;
        }
        double[] x = new double[n];
        for (int k = n - 1; k >= 0; k--) {
            double s = b[k];
            for (int j = k + 1; j < n; j++) s -= a[k][j] * x[j];
            x[k] = s / a[k][k];
        }
        return x;
    }
}
