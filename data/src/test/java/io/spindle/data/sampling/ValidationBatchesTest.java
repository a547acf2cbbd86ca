package io.spindle.data.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

class ValidationBatchesTest {
    @Test
    void batchesAreTheNonOverlappingWindowsInStreamOrder() {
        int[] tokens = IntStream.range(100, 100 + 3 * 5 + 1).toArray(); // 5 windows of seq 3
        ValidationBatches batches = new ValidationBatches(tokens, 3, 2, 10);
        assertEquals(2, batches.size(), "the fifth window does not fill a batch");
        int[] inputs = new int[6];
        int[] targets = new int[6];
        batches.fill(1, inputs, targets);
        assertArrayEquals(new int[] {106, 107, 108, 109, 110, 111}, inputs);
        assertArrayEquals(new int[] {107, 108, 109, 110, 111, 112}, targets);
        assertEquals(6, batches.tokensPerBatch());
    }

    @Test
    void isCappedAtMaxBatches() {
        ValidationBatches batches = new ValidationBatches(new int[1001], 10, 2, 3);
        assertEquals(3, batches.size());
        assertThrows(IndexOutOfBoundsException.class, () -> batches.fill(3, new int[20], new int[20]));
    }

    @Test
    void isEmptyWhenTheStreamHoldsLessThanOneBatch() {
        assertTrue(new ValidationBatches(new int[5], 4, 2, 10).isEmpty());
        assertTrue(new ValidationBatches(new int[0], 4, 1, 10).isEmpty());
    }
}
