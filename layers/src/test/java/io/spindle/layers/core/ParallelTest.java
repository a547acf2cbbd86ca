package io.spindle.layers.core;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ParallelTest {

    @Test
    void everyIterationRunsExactlyOnceInContiguousChunks() {
        int n = 10_007;
        AtomicIntegerArray seen = new AtomicIntegerArray(n);
        AtomicIntegerArray chunkOf = new AtomicIntegerArray(n);
        Parallel.forRange(n, 1, (chunk, from, to) -> {
            assertTrue(chunk >= 0 && chunk < Parallel.threads(), "chunk " + chunk);
            for (int i = from; i < to; i++) {
                seen.incrementAndGet(i);
                chunkOf.set(i, chunk);
            }
        });
        for (int i = 0; i < n; i++) {
            assertEquals(1, seen.get(i), "iteration " + i);
            if (i > 0) assertTrue(chunkOf.get(i) >= chunkOf.get(i - 1), "chunks must be contiguous and ordered");
        }
    }

    @Test
    void smallLoopsStayOnTheCaller() {
        Thread caller = Thread.currentThread();
        Parallel.forRange(100, 1000, (chunk, from, to) -> {
            assertSame(caller, Thread.currentThread());
            assertEquals(0, from);
            assertEquals(100, to);
        });
    }

    @Test
    void anExceptionInAnyChunkReachesTheCaller() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Parallel.forRange(1000, 1, (chunk, from, to) -> {
            if (from == 0) throw new IllegalStateException("first chunk failed");
        }));
        assertEquals("first chunk failed", e.getMessage());
    }
}
