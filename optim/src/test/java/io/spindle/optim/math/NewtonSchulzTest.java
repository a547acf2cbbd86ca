package io.spindle.optim.math;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NewtonSchulzTest {

    @Test
    void matchesDoublePrecisionTripleLoopForWideAndTallMatrices() {
        SplittableRandom random = new SplittableRandom(7);
        for (int[] shape : new int[][] {{12, 20}, {20, 12}, {9, 9}}) {
            double[][] g = ReferenceMath.gaussian(random, shape[0], shape[1]);
            double[][] want = ReferenceMath.newtonSchulz(g, 5);
            INDArray got = NewtonSchulz.orthogonalize(ReferenceMath.toFloat(g), 5);
            assertArrayEquals(new long[] {shape[0], shape[1]}, got.shape());
            assertEquals(DataType.FLOAT, got.dataType());
            double err = ReferenceMath.maxAbsDiff(want, got);
            assertTrue(err < 2e-5, shape[0] + "x" + shape[1] + " max abs err " + err);
        }
    }

    /** Gram matrices wider than one mirroring tile (64), odd sizes, and 1 or 2 iterations (the ping-pong's parities). */
    @Test
    void matchesTripleLoopAcrossMirrorTilesForEveryIterationCount() {
        SplittableRandom random = new SplittableRandom(13);
        for (int[] shape : new int[][] {{70, 131}, {131, 70}, {129, 129}}) {
            double[][] g = ReferenceMath.gaussian(random, shape[0], shape[1]);
            for (int steps : new int[] {1, 2, 5}) {
                double err = ReferenceMath.maxAbsDiff(ReferenceMath.newtonSchulz(g, steps),
                        NewtonSchulz.orthogonalize(ReferenceMath.toFloat(g), steps));
                assertTrue(err < 3e-5, shape[0] + "x" + shape[1] + " steps " + steps + " max abs err " + err);
            }
        }
    }

    /** A transposed view (column-major strides) and a row view with an offset give the same result as a copy. */
    @Test
    void acceptsViewsWithAnyStridesAndOffset() {
        double[][] g = ReferenceMath.gaussian(new SplittableRandom(17), 30, 80);
        double[][] want = ReferenceMath.newtonSchulz(ReferenceMath.transpose(g), 5);
        INDArray transposedView = ReferenceMath.toFloat(g).transpose();
        assertTrue(ReferenceMath.maxAbsDiff(want, NewtonSchulz.orthogonalize(transposedView, 5)) < 2e-5);
        INDArray stacked = Nd4j.concat(0, Nd4j.ones(DataType.FLOAT, 3, 80), ReferenceMath.toFloat(g));
        INDArray rowsView = stacked.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(3, 33),
                org.nd4j.linalg.indexing.NDArrayIndex.all());
        assertTrue(rowsView.offset() > 0);
        assertTrue(ReferenceMath.maxAbsDiff(ReferenceMath.newtonSchulz(g, 5), NewtonSchulz.orthogonalize(rowsView, 5)) < 2e-5);
    }

    @Test
    void halfPrecisionInputIsComputedInFloat32AndReturnedAsHalf() {
        double[][] g = ReferenceMath.gaussian(new SplittableRandom(19), 8, 12);
        INDArray got = NewtonSchulz.orthogonalize(ReferenceMath.toFloat(g).castTo(DataType.HALF), 5);
        assertEquals(DataType.HALF, got.dataType());
        assertTrue(ReferenceMath.maxAbsDiff(ReferenceMath.newtonSchulz(g, 5), got) < 5e-3);
    }

    @Test
    void float64InputIsComputedInFloat64() {
        double[][] g = ReferenceMath.gaussian(new SplittableRandom(3), 6, 10);
        INDArray got = NewtonSchulz.orthogonalize(Nd4j.createFromArray(g), 3);
        assertEquals(DataType.DOUBLE, got.dataType());
        assertTrue(ReferenceMath.maxAbsDiff(ReferenceMath.newtonSchulz(g, 3), got) < 1e-12);
    }

    /** NS5 is tuned to land singular values in about [0.7, 1.2], not exactly on 1. */
    @Test
    void fiveStepsBringSingularValuesNearOneForWellConditionedInput() {
        int n = 16;
        double[][] g = ReferenceMath.gaussian(new SplittableRandom(11), n, 2 * n);
        // Gram eigenvalues of the output are its squared singular values.
        INDArray o = NewtonSchulz.orthogonalize(ReferenceMath.toFloat(g), 5).castTo(DataType.DOUBLE);
        double[] eig = symmetricEigenvalues(ReferenceMath.toDouble(o.mmul(o.transpose())));
        for (double e : eig) {
            double sigma = Math.sqrt(Math.max(e, 0));
            assertTrue(sigma > 0.6 && sigma < 1.25, "singular value " + sigma + " outside [0.6, 1.25]");
        }
    }

    @Test
    void zeroStepsOnlyNormalizesAndZeroMatrixStaysZero() {
        double[][] g = {{3, 0}, {0, 4}};
        INDArray x = NewtonSchulz.orthogonalize(ReferenceMath.toFloat(g), 0);
        assertEquals(0.6, x.getDouble(0, 0), 1e-6);
        assertEquals(0.8, x.getDouble(1, 1), 1e-6);
        INDArray zero = NewtonSchulz.orthogonalize(Nd4j.zeros(DataType.FLOAT, 3, 5), 5);
        assertEquals(0.0, zero.norm2Number().doubleValue());
    }

    @Test
    void rejectsNonMatrixAndNegativeSteps() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NewtonSchulz.orthogonalize(Nd4j.zeros(DataType.FLOAT, 5), 5));
        assertTrue(e.getMessage().contains("[5]"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> NewtonSchulz.orthogonalize(Nd4j.zeros(DataType.FLOAT, 2, 2), -1));
    }

    @Test
    void leavesItsInputUnchanged() {
        INDArray g = ReferenceMath.toFloat(ReferenceMath.gaussian(new SplittableRandom(5), 4, 6));
        INDArray before = g.dup();
        NewtonSchulz.orthogonalize(g, 5);
        assertEquals(before, g);
    }

    /** Cyclic Jacobi eigenvalues of a small symmetric matrix, independent of ND4J. */
    private static double[] symmetricEigenvalues(double[][] s) {
        double[][] a = ReferenceMath.copy(s);
        int n = a.length;
        for (int sweep = 0; sweep < 100; sweep++) {
            double off = 0;
            for (int p = 0; p < n; p++) for (int q = p + 1; q < n; q++) off += a[p][q] * a[p][q];
            if (off < 1e-22) break;
            for (int p = 0; p < n; p++)
                for (int q = p + 1; q < n; q++) {
                    if (Math.abs(a[p][q]) < 1e-300) continue;
                    double theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
                    double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
                    if (theta == 0) t = 1;
                    double c = 1 / Math.sqrt(t * t + 1), sn = t * c;
                    for (int k = 0; k < n; k++) {
                        double akp = a[k][p], akq = a[k][q];
                        a[k][p] = c * akp - sn * akq;
                        a[k][q] = sn * akp + c * akq;
                    }
                    for (int k = 0; k < n; k++) {
                        double apk = a[p][k], aqk = a[q][k];
                        a[p][k] = c * apk - sn * aqk;
                        a[q][k] = sn * apk + c * aqk;
                    }
                }
        }
        double[] eig = new double[n];
        for (int i = 0; i < n; i++) eig[i] = a[i][i];
        return eig;
    }
}
