package io.spindle.data.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

class BatchSamplerTest {
    private static final int SEQ = 4;

    /** Token i has id i, so a row's first input names its window: window = inputs[0] / SEQ. */
    private static int[] stream(int windows) {
        return IntStream.range(0, windows * SEQ + 1).toArray();
    }

    /** The windows of one batch, in row order. */
    private static List<Integer> draw(BatchSampler sampler, int batch) {
        int[] inputs = new int[batch * SEQ];
        int[] targets = new int[batch * SEQ];
        sampler.next(inputs, targets);
        List<Integer> windows = new ArrayList<>();
        for (int row = 0; row < batch; row++) {
            int start = inputs[row * SEQ];
            assertEquals(0, start % SEQ, "windows start at multiples of seq");
            for (int t = 0; t < SEQ; t++) {
                assertEquals(start + t, inputs[row * SEQ + t]);
                assertEquals(start + t + 1, targets[row * SEQ + t], "targets are the inputs shifted by one");
            }
            windows.add(start / SEQ);
        }
        return windows;
    }

    @Test
    void everyEpochVisitsEveryWindowOnceAcrossRanks() {
        int windows = 24;
        int world = 3;
        int batch = 2;
        List<BatchSampler> ranks = new ArrayList<>();
        for (int r = 0; r < world; r++) {
            ranks.add(new BatchSampler(stream(windows), SEQ, batch, 11, r, world));
        }
        assertEquals(windows, ranks.get(0).windowCount());
        List<Integer> epoch0 = new ArrayList<>();
        List<Integer> epoch1 = new ArrayList<>();
        for (int step = 0; step < 2 * windows / (batch * world); step++) {
            for (BatchSampler rank : ranks) {
                (step < windows / (batch * world) ? epoch0 : epoch1).addAll(draw(rank, batch));
            }
        }
        List<Integer> all = IntStream.range(0, windows).boxed().toList();
        assertEquals(all, epoch0.stream().sorted().toList());
        assertEquals(all, epoch1.stream().sorted().toList());
        assertNotEquals(epoch0, epoch1, "each epoch draws a new order");
    }

    @Test
    void ranksSeeDisjointWindowsInAStep() {
        Set<Integer> seen = new HashSet<>();
        for (int r = 0; r < 4; r++) {
            for (int window : draw(new BatchSampler(stream(100), SEQ, 5, 2, r, 4), 5)) {
                assertFalse(!seen.add(window), "window " + window + " drawn by two ranks");
            }
        }
        assertEquals(20, seen.size());
    }

    @Test
    void oneRankWithNTimesTheBatchSeesTheSameWindowsInTheSameGlobalOrder() {
        // 37 windows is not a multiple of the global batch 3*4, so steps run across epoch ends.
        int windows = 37;
        int world = 4;
        int batch = 3;
        BatchSampler single = new BatchSampler(stream(windows), SEQ, batch * world, 5, 0, 1);
        List<BatchSampler> ranks = new ArrayList<>();
        for (int r = 0; r < world; r++) {
            ranks.add(new BatchSampler(stream(windows), SEQ, batch, 5, r, world));
        }
        for (int step = 0; step < 10; step++) {
            List<Integer> global = draw(single, batch * world);
            for (int r = 0; r < world; r++) {
                List<Integer> local = draw(ranks.get(r), batch);
                for (int row = 0; row < batch; row++) {
                    assertEquals(global.get(row * world + r), local.get(row), "step " + step + " rank " + r);
                }
            }
            assertEquals(single.position(), ranks.get(0).position());
        }
    }

    @Test
    void theOrderDependsOnSeedAndEpochOnly() {
        int[] a = BatchSampler.windowOrder(9, 3, 50);
        assertArrayEquals(a, BatchSampler.windowOrder(9, 3, 50));
        assertFalse(Arrays.equals(a, BatchSampler.windowOrder(10, 3, 50)));
        assertFalse(Arrays.equals(a, BatchSampler.windowOrder(9, 4, 50)));
        assertArrayEquals(IntStream.range(0, 50).toArray(), Arrays.stream(a).sorted().toArray());
    }

    @Test
    void theOrderIsAUniformPermutation() {
        // Over many epochs, each window should land in each slot about equally often.
        int count = 5;
        int epochs = 20_000;
        int[][] slotCounts = new int[count][count];
        for (int epoch = 0; epoch < epochs; epoch++) {
            int[] order = BatchSampler.windowOrder(1, epoch, count);
            for (int slot = 0; slot < count; slot++) {
                slotCounts[order[slot]][slot]++;
            }
        }
        for (int[] row : slotCounts) {
            for (int c : row) {
                // expected 4000, standard deviation about 57
                assertEquals(4000, c, 300);
            }
        }
    }

    @Test
    void aResumedSamplerDrawsExactlyTheSameBatches() throws IOException, ClassNotFoundException {
        BatchSampler original = new BatchSampler(stream(29), SEQ, 3, 77, 1, 2);
        for (int step = 0; step < 7; step++) {
            draw(original, 3);
        }
        SamplerPosition saved = roundTrip(original.position());
        List<List<Integer>> expected = new ArrayList<>();
        for (int step = 0; step < 12; step++) {
            expected.add(draw(original, 3));
        }
        BatchSampler resumed = new BatchSampler(stream(29), SEQ, 3, 77, 1, 2);
        resumed.seek(saved);
        for (List<Integer> batch : expected) {
            assertEquals(batch, draw(resumed, 3));
        }
        assertEquals(original.position(), resumed.position());
    }

    @Test
    void positionCountsGlobalWindows() {
        BatchSampler sampler = new BatchSampler(stream(10), SEQ, 2, 1, 0, 3);
        assertEquals(SamplerPosition.START, sampler.position());
        draw(sampler, 2);
        assertEquals(new SamplerPosition(0, 6), sampler.position());
        draw(sampler, 2);
        assertEquals(new SamplerPosition(1, 2), sampler.position());
    }

    @Test
    void refusesAPositionBeyondTheStreamAndBadShapes() {
        BatchSampler sampler = new BatchSampler(stream(10), SEQ, 2, 1, 0, 1);
        assertThrows(IllegalArgumentException.class, () -> sampler.seek(new SamplerPosition(0, 10)));
        assertThrows(IllegalArgumentException.class, () -> sampler.next(new int[7], new int[8]));
        assertThrows(IllegalArgumentException.class, () -> new BatchSampler(new int[SEQ], SEQ, 1, 1, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new BatchSampler(stream(10), SEQ, 1, 1, 2, 2));
        assertThrows(IllegalArgumentException.class, () -> new SamplerPosition(-1, 0));
    }

    private static SamplerPosition roundTrip(SamplerPosition position) throws IOException, ClassNotFoundException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(position);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return (SamplerPosition) in.readObject();
        }
    }
}
