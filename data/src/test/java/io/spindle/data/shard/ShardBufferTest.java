package io.spindle.data.shard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;

import org.junit.jupiter.api.Test;

class ShardBufferTest {
    @Test
    void packsWholeDocumentsUntilTheTargetIsReached() {
        ShardBuffer buffer = new ShardBuffer(5);
        assertTrue(buffer.isEmpty());
        buffer.add(new int[] {1, 2, 256});
        assertFalse(buffer.isFull());
        buffer.add(new int[] {3, 4, 5, 256});
        assertTrue(buffer.isFull(), "7 tokens reach the target of 5; the document was not cut");
        assertArrayEquals(new int[] {1, 2, 256, 3, 4, 5, 256}, Arrays.copyOf(buffer.tokens(), buffer.length()));
        assertEquals(2, buffer.documents());
        buffer.clear();
        assertTrue(buffer.isEmpty());
        assertEquals(0, buffer.documents());
    }

    @Test
    void growsPastItsInitialCapacity() {
        ShardBuffer buffer = new ShardBuffer(1_000_000);
        int[] document = new int[3000];
        Arrays.fill(document, 9);
        for (int i = 0; i < 10; i++) {
            buffer.add(document);
        }
        assertEquals(30_000, buffer.length());
        assertEquals(9, buffer.tokens()[29_999]);
    }
}
