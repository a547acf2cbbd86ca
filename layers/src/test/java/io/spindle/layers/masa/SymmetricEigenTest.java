package io.spindle.layers.masa;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SymmetricEigenTest {

    @Test
    void eigenpairsSatisfyAvEqualsLambdaVAndAreOrthonormalAndSorted() {
        SplittableRandom random = new SplittableRandom(3);
        int n = 9;
        double[][] a = new double[n][n];
        for (int i = 0; i < n; i++) for (int j = 0; j <= i; j++) a[i][j] = a[j][i] = random.nextDouble() * 2 - 1;
        check(a, SymmetricEigen.decompose(a));
    }

    @Test
    void repeatedAndZeroEigenvaluesStillGiveAnOrthonormalBasis() {
        // Gram matrix of 5 vectors spanning only 2 dimensions, two of them equal
        double[][] v = {{1, 0, 0}, {0, 2, 0}, {1, 0, 0}, {1, 2, 0}, {3, -1, 0}};
        double[][] g = new double[5][5];
        for (int i = 0; i < 5; i++) for (int j = 0; j < 5; j++) for (int k = 0; k < 3; k++) g[i][j] += v[i][k] * v[j][k];
        SymmetricEigen.Result r = SymmetricEigen.decompose(g);
        check(g, r);
        assertEquals(0, r.values()[2], 1e-10);
        assertEquals(0, r.values()[4], 1e-10);
    }

    private static void check(double[][] a, SymmetricEigen.Result r) {
        int n = a.length;
        for (int k = 0; k < n; k++) {
            if (k > 0) assertTrue(r.values()[k] <= r.values()[k - 1] + 1e-12, "descending order");
            for (int i = 0; i < n; i++) {
                double av = 0;
                for (int j = 0; j < n; j++) av += a[i][j] * r.vectors()[j][k];
                assertEquals(r.values()[k] * r.vectors()[i][k], av, 1e-10);
            }
            for (int m = 0; m < n; m++) {
                double d = 0;
                for (int i = 0; i < n; i++) d += r.vectors()[i][k] * r.vectors()[i][m];
                assertEquals(k == m ? 1 : 0, d, 1e-10);
            }
        }
    }
}
