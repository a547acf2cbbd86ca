package io.spindle.layers.mla;

import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.testing.FiniteDifference;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LatentTransformTest {
    private static final int B = MultiHeadLatentAttentionTest.BATCH, S = MultiHeadLatentAttentionTest.SEQ;
    private static final int D = MultiHeadLatentAttentionTest.D, R = MultiHeadLatentAttentionTest.LATENT;

    @Test
    void hadamardIsOrthogonalWithEqualMagnitudes() {
        INDArray h = LatentTransform.hadamard(16);
        assertEquals(0, h.mmul(h.transpose()).sub(Nd4j.eye(16).castTo(DataType.DOUBLE)).amaxNumber().doubleValue(), 1e-12);
        assertEquals(0.25, h.amaxNumber().doubleValue(), 1e-12);
        assertEquals(0.25, h.aminNumber().doubleValue(), 1e-12);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LatentTransform.hadamard(12));
        assertTrue(e.getMessage().contains("power of two, got 12"), e.getMessage());
    }

    /** Folding U into the weights leaves MLA's output unchanged (norm gain away from 1), for Hadamard and PCA. */
    @Test
    void foldedTransformLeavesMlaUnchanged() {
        ParameterSet params = new ParameterSet();
        MultiHeadLatentAttention attn = MultiHeadLatentAttentionTest.layer(params, 1, 21);
        INDArray x = FiniteDifference.normal(new SplittableRandom(5), 1, B * S, D);
        INDArray before = attn.forward(x, B, S).dup();
        INDArray pca = LatentTransform.pca(List.of(attn.latent().dup()));
        for (INDArray u : new INDArray[] {LatentTransform.hadamard(R), pca}) {
            ParameterSet copy = new ParameterSet();
            MultiHeadLatentAttention folded = MultiHeadLatentAttentionTest.layer(copy, 1, 21);
            LatentTransform.LatentWeights w = LatentTransform.fold(new LatentTransform.LatentWeights(
                    copy.get("attn.wdkv").value(), copy.get("attn.kv_norm.weight").value(), copy.get("attn.wuk").value(),
                    copy.get("attn.wuv").value()), u);
            copy.get("attn.wdkv").value().assign(w.wdkv());
            copy.get("attn.kv_norm.weight").value().assign(w.gain());
            copy.get("attn.wuk").value().assign(w.wuk());
            copy.get("attn.wuv").value().assign(w.wuv());
            INDArray after = folded.forward(x, B, S).dup();
            // the new latent is the old one without its gain, rotated: c' = (c / g) U
            INDArray gain = params.get("attn.kv_norm.weight").value().castTo(DataType.DOUBLE);
            INDArray rotated = attn.latent().castTo(DataType.DOUBLE).divRowVector(gain).mmul(u.castTo(DataType.DOUBLE));
            assertEquals(0, folded.latent().castTo(DataType.DOUBLE).sub(rotated).amaxNumber().doubleValue(), 2e-5);
            assertEquals(0, after.sub(before).amaxNumber().doubleValue(), 2e-5);
        }
    }

    /** PCA orders directions by energy: the first half of the rotated latent carries at least half of it, and more than any coordinate half did. */
    @Test
    void pcaPutsTheMostEnergyInTheFirstSlice() {
        SplittableRandom random = new SplittableRandom(8);
        INDArray c = FiniteDifference.normal(random, 1, 400, R);
        INDArray mix = FiniteDifference.normal(random, 1, R, R);
        for (int j = 0; j < R; j++) mix.getColumn(j).muli(Math.pow(0.5, j)); // anisotropic, energy spread over coordinates
        INDArray latents = c.mmul(mix.transpose());
        INDArray u = LatentTransform.pca(List.of(latents));
        assertEquals(0, u.transpose().mmul(u).sub(Nd4j.eye(R).castTo(DataType.DOUBLE)).amaxNumber().doubleValue(), 1e-9);
        INDArray rotated = latents.castTo(DataType.DOUBLE).mmul(u);
        double first = rotated.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(0, R / 2)).norm2Number().doubleValue();
        double all = rotated.norm2Number().doubleValue();
        double raw = latents.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(0, R / 2)).norm2Number().doubleValue();
        assertTrue(first * first > 0.5 * all * all, "first slice energy " + first * first + " of " + all * all);
        assertTrue(first >= raw - 1e-6, "PCA slice " + first + " vs coordinate slice " + raw);
    }
}
