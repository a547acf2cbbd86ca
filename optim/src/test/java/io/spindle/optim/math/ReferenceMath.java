package io.spindle.optim.math;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Plain-Java float64 versions of the README's formulas, written independently of ND4J so tests can
 * check the production code against them: triple-loop products, no BLAS, no in-place tricks.
 */
public final class ReferenceMath {
    private ReferenceMath() {}

    /** NS_k exactly as the golden README states it, in double. */
    public static double[][] newtonSchulz(double[][] g, int steps) {
        boolean transposed = g.length > g[0].length;
        double[][] x = transposed ? transpose(g) : copy(g);
        double norm = frobenius(x) + 1e-7;
        for (double[] row : x) for (int j = 0; j < row.length; j++) row[j] /= norm;
        for (int k = 0; k < steps; k++) {
            double[][] a = multiply(x, transpose(x));
            double[][] poly = add(scale(a, -4.7750), scale(multiply(a, a), 2.0315));
            x = add(scale(x, 3.4445), multiply(poly, x));
        }
        return transposed ? transpose(x) : x;
    }

    public static double[][] multiply(double[][] a, double[][] b) {
        double[][] c = new double[a.length][b[0].length];
        for (int i = 0; i < a.length; i++)
            for (int j = 0; j < b[0].length; j++) {
                double s = 0;
                for (int k = 0; k < b.length; k++) s += a[i][k] * b[k][j];
                c[i][j] = s;
            }
        return c;
    }

    public static double[][] transpose(double[][] a) {
        double[][] t = new double[a[0].length][a.length];
        for (int i = 0; i < a.length; i++) for (int j = 0; j < a[0].length; j++) t[j][i] = a[i][j];
        return t;
    }

    public static double[][] scale(double[][] a, double s) {
        double[][] out = copy(a);
        for (double[] row : out) for (int j = 0; j < row.length; j++) row[j] *= s;
        return out;
    }

    public static double[][] add(double[][] a, double[][] b) {
        double[][] out = copy(a);
        for (int i = 0; i < a.length; i++) for (int j = 0; j < a[0].length; j++) out[i][j] += b[i][j];
        return out;
    }

    public static double frobenius(double[][] a) {
        double s = 0;
        for (double[] row : a) for (double v : row) s += v * v;
        return Math.sqrt(s);
    }

    public static double[][] copy(double[][] a) {
        double[][] out = new double[a.length][];
        for (int i = 0; i < a.length; i++) out[i] = a[i].clone();
        return out;
    }

    public static double[][] toDouble(INDArray x) {
        return x.castTo(DataType.DOUBLE).toDoubleMatrix();
    }

    public static INDArray toFloat(double[][] a) {
        return Nd4j.createFromArray(a).castTo(DataType.FLOAT);
    }

    /** Largest |got - want| over all elements. */
    public static double maxAbsDiff(double[][] want, INDArray got) {
        double[][] g = toDouble(got);
        double worst = 0;
        for (int i = 0; i < want.length; i++)
            for (int j = 0; j < want[0].length; j++) worst = Math.max(worst, Math.abs(want[i][j] - g[i][j]));
        return worst;
    }

    /** A rows x cols matrix of standard normal entries. */
    public static double[][] gaussian(java.util.SplittableRandom random, int rows, int cols) {
        double[][] a = new double[rows][cols];
        for (double[] row : a)
            for (int j = 0; j < cols; j++) {
                double u = 1.0 - random.nextDouble();
                row[j] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.nextDouble());
            }
        return a;
    }
}
