package io.spindle.layers.masa;

import io.spindle.layers.testing.FiniteDifference;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MatrixPcaTest {
    private static final int LAYERS = 8, OUT = 6, IN = 10;

    /** L matrices M + sum_{i<r} a_{l,i} B_i: an affine subspace of dimension r. */
    private static List<INDArray> affine(int r, boolean withOffset, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        INDArray offset = withOffset ? FiniteDifference.normal(random, 1, OUT, IN) : FiniteDifference.normal(random, 0, OUT, IN);
        INDArray[] basis = new INDArray[r];
        for (int i = 0; i < r; i++) basis[i] = FiniteDifference.normal(random, 1, OUT, IN);
        List<INDArray> out = new ArrayList<>();
        for (int l = 0; l < LAYERS; l++) {
            INDArray m = offset.dup();
            for (int i = 0; i < r; i++) m.addi(basis[i].mul(random.nextDouble() * 4 - 2));
            out.add(m);
        }
        return out;
    }

    private static double relativeError(List<INDArray> layers, MatrixPca.Dictionary d) {
        double err = 0, norm = 0;
        for (int l = 0; l < layers.size(); l++) {
            err += Math.pow(d.reconstruct(l).sub(layers.get(l)).norm2Number().doubleValue(), 2);
            norm += Math.pow(layers.get(l).norm2Number().doubleValue(), 2);
        }
        return Math.sqrt(err / norm);
    }

    @Test
    void reconstructsMatricesOfKnownLowRankExactly() {
        for (int r = 1; r <= 4; r++) {
            List<INDArray> affineSet = affine(r, true, r);
            MatrixPca.Dictionary d = MatrixPca.fit(affineSet, r + 1);
            assertArrayEquals(new long[] {r + 1, OUT, IN}, d.atoms().shape());
            assertArrayEquals(new long[] {LAYERS, r + 1}, d.coefficients().shape());
            assertTrue(relativeError(affineSet, d) < 1e-5, "affine rank " + r + ": " + relativeError(affineSet, d));
            // matrices in a linear span of dimension r + 1 lie in an affine one of dimension <= r + 1
            List<INDArray> linearSet = affine(r + 1, false, 10 + r);
            assertTrue(relativeError(linearSet, MatrixPca.fit(linearSet, r + 2)) < 1e-5);
            // one atom too few cannot reproduce a generic affine set of dimension r
            assertTrue(relativeError(affineSet, MatrixPca.fit(affineSet, r)) > 1e-3);
        }
    }

    @Test
    void moreAtomsThanTheLayersSpanStillReconstructExactlyAndKeepEveryAtomTrainable() {
        List<INDArray> set = affine(2, true, 5);
        MatrixPca.Dictionary d = MatrixPca.fit(set, 6);
        assertTrue(relativeError(set, d) < 1e-5);
        for (int s = 0; s < 6; s++) assertTrue(d.atoms().get(org.nd4j.linalg.indexing.NDArrayIndex.point(s)).norm2Number().doubleValue() > 0);
        for (int l = 0; l < LAYERS; l++) for (int s = 3; s < 6; s++) assertEquals(0f, d.coefficients().getFloat(l, s));
    }

    @Test
    void errorFallsWithEveryAtomAndVanishesAtOneAtomPerLayer() {
        List<INDArray> generic = affine(LAYERS, true, 7);
        double previous = Double.POSITIVE_INFINITY;
        for (int s = 1; s <= LAYERS; s++) {
            double e = relativeError(generic, MatrixPca.fit(generic, s));
            assertTrue(e <= previous + 1e-7, "atoms " + s + ": " + e + " > " + previous);
            previous = e;
        }
        assertTrue(previous < 1e-5);
    }

    /** Eckart–Young: no other S-1 directions through the mean fit better than the principal ones. */
    @Test
    void principalDirectionsFitBetterThanRandomOnes() {
        List<INDArray> generic = affine(LAYERS, true, 8);
        double pca = relativeError(generic, MatrixPca.fit(generic, 3));
        // the best fit through the mean with two random directions, by least squares per layer
        SplittableRandom random = new SplittableRandom(9);
        INDArray mean = generic.get(0).mul(0);
        for (INDArray m : generic) mean.addi(m.div(LAYERS));
        INDArray b = org.nd4j.linalg.factory.Nd4j.vstack(FiniteDifference.normal(random, 1, 1, OUT * IN),
                FiniteDifference.normal(random, 1, 1, OUT * IN)).castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE);
        INDArray projector = b.transpose().mmul(org.nd4j.linalg.inverse.InvertMatrix.invert(b.mmul(b.transpose()), false)).mmul(b);
        double err = 0, norm = 0;
        for (INDArray m : generic) {
            INDArray c = m.sub(mean).reshape(1, OUT * IN).castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE);
            err += Math.pow(c.sub(c.mmul(projector)).norm2Number().doubleValue(), 2);
            norm += Math.pow(m.norm2Number().doubleValue(), 2);
        }
        assertTrue(pca < Math.sqrt(err / norm), "PCA " + pca + " vs random directions " + Math.sqrt(err / norm));
    }

    @Test
    void rejectsInputsThatCannotFormADictionary() {
        List<INDArray> set = affine(1, true, 1);
        assertThrows(IllegalArgumentException.class, () -> MatrixPca.fit(set, 0));
        assertThrows(IllegalArgumentException.class, () -> MatrixPca.fit(set, LAYERS + 1));
        List<INDArray> mixed = new ArrayList<>(set);
        mixed.add(FiniteDifference.normal(new SplittableRandom(1), 1, IN, OUT));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MatrixPca.fit(mixed, 2)).getMessage()
                .contains("one dictionary holds matrices of one shape"));
    }
}
