package io.spindle.layers.embedding;

import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.testing.FiniteDifference;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenEmbeddingTest {

    @Test
    void gathersRowsAndScatterAddsRepeatedTokens() {
        ParameterSet params = new ParameterSet();
        TokenEmbedding embed = new TokenEmbedding(params, "embed.weight", 5, 3, Initializer.normal(1));
        params.allocate(2);
        int[] tokens = {4, 1, 4, 0, 4};
        INDArray y = embed.forward(tokens);
        INDArray table = embed.table().value();
        for (int r = 0; r < tokens.length; r++) {
            assertEquals(table.getRow(tokens[r]), y.getRow(r));
        }

        INDArray dy = FiniteDifference.normal(new SplittableRandom(3), 1, 5, 3);
        embed.backward(dy);
        INDArray grad = embed.table().grad();
        for (int c = 0; c < 3; c++) {
            // token 4 occurs at rows 0, 2 and 4: all three gradients must arrive
            double want = (double) dy.getFloat(0, c) + dy.getFloat(2, c) + dy.getFloat(4, c);
            assertEquals(want, grad.getFloat(4, c), 1e-6);
            assertEquals(dy.getFloat(1, c), grad.getFloat(1, c), 0f);
            assertEquals(0f, grad.getFloat(2, c), 0f);
        }
    }

    @Test
    void rejectsIdsOutsideTheVocabulary() {
        ParameterSet params = new ParameterSet();
        TokenEmbedding embed = new TokenEmbedding(params, "embed.weight", 5, 3, Initializer.normal(1));
        params.allocate(2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> embed.forward(new int[] {1, 5}));
        assertTrue(e.getMessage().contains("token id 5 at position 1"), e.getMessage());
    }
}
