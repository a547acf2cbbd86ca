package io.spindle.layers.loss;

import io.spindle.layers.testing.FiniteDifference;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SoftmaxCrossEntropyTest {

    private static double reference(INDArray logits, int[] targets) {
        double total = 0;
        for (int r = 0; r < targets.length; r++) {
            double sum = 0;
            for (int c = 0; c < logits.size(1); c++) sum += Math.exp(logits.getDouble(r, c));
            total += Math.log(sum) - logits.getDouble(r, targets[r]);
        }
        return total / targets.length;
    }

    @Test
    void lossIsMeanNegativeLogLikelihoodAndGradientIsSoftmaxMinusOneHotOverRows() {
        SplittableRandom random = new SplittableRandom(1);
        int[] targets = {3, 0, 4, 3};
        INDArray logits = FiniteDifference.normal(random, 2, 4, 5);
        double want = reference(logits, targets);

        SoftmaxCrossEntropy ce = new SoftmaxCrossEntropy();
        float loss = ce.forward(logits.dup(), targets);
        assertEquals(want, loss, 1e-5);

        INDArray grad = ce.backward().dup();
        FiniteDifference.check("cross-entropy dlogits", logits, grad,
                () -> new SoftmaxCrossEntropy().forward(logits.dup(), targets), 1e-2, 1e-3, random);
        for (int r = 0; r < 4; r++) assertEquals(0.0, grad.getRow(r).sumNumber().doubleValue(), 1e-6);
    }

    /** 96 rows: the rows are split over threads; each row's gradient is checked directly. */
    @Test
    void manyRowsGiveTheSameLossAndSoftmaxMinusOneHot() {
        SplittableRandom random = new SplittableRandom(2);
        int rows = 96, vocab = 7;
        int[] targets = new int[rows];
        for (int r = 0; r < rows; r++) targets[r] = random.nextInt(vocab);
        INDArray logits = FiniteDifference.normal(random, 3, rows, vocab);
        INDArray z = logits.dup();
        assertEquals(reference(logits, targets), new SoftmaxCrossEntropy().forward(z, targets), 1e-5);
        for (int r = 0; r < rows; r++) {
            double sum = 0;
            for (int c = 0; c < vocab; c++) sum += Math.exp(logits.getDouble(r, c));
            for (int c = 0; c < vocab; c++) {
                double want = (Math.exp(logits.getDouble(r, c)) / sum - (c == targets[r] ? 1 : 0)) / rows;
                assertEquals(want, z.getFloat(r, c), 1e-7, "row " + r + " col " + c);
            }
        }
    }

    @Test
    void largeLogitsStayFinite() {
        INDArray logits = org.nd4j.linalg.factory.Nd4j.createFromArray(new float[][] {{1000f, 0f, -1000f}});
        float loss = new SoftmaxCrossEntropy().forward(logits, new int[] {2});
        assertEquals(2000f, loss, 1e-2);
        assertTrue(Float.isFinite(logits.getFloat(0, 0)));
    }

    @Test
    void rejectsTargetsOutsideTheVocabulary() {
        INDArray logits = org.nd4j.linalg.factory.Nd4j.zeros(org.nd4j.linalg.api.buffer.DataType.FLOAT, 2, 3);
        assertThrows(IllegalArgumentException.class, () -> new SoftmaxCrossEntropy().forward(logits, new int[] {0, 3}));
        assertThrows(IllegalArgumentException.class, () -> new SoftmaxCrossEntropy().forward(logits, new int[] {0}));
    }
}
