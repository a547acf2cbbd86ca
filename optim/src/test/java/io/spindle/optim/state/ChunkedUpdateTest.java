package io.spindle.optim.state;

import io.spindle.optim.Optimizer;
import io.spindle.optim.ParamSlot;
import io.spindle.optim.adamw.AdamW;
import io.spindle.optim.lamb.Lamb;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The update split over threads: every chunk once, on its own cursor, and the same bits as one thread. */
class ChunkedUpdateTest {
    /** Large enough for several parts (at least 16 chunks of 2,048 or 1,024 per thread), with a ragged end. */
    private static final long[][] SHAPES = {{400, 300}, {70_001}, {64, 8}};

    @AfterEach
    void clearThreads() {
        System.clearProperty(ChunkedUpdate.THREADS_PROPERTY);
    }

    @Test
    void partsCoverEveryChunkOnceEachWithItsOwnCursor() {
        int n = 100_000;
        Map<Integer, SlotChunks> cursorOfChunk = new ConcurrentHashMap<>();
        INDArray[] slots = {Nd4j.zeros(DataType.FLOAT, n)};
        SlotChunks first = new BufferSlotChunks(slots);
        int chunk = first.chunkLength();
        System.setProperty(ChunkedUpdate.THREADS_PROPERTY, "3");
        List<int[]> parts = java.util.Collections.synchronizedList(new ArrayList<>());
        ChunkedUpdate.run(n, first, (cursor, from, to) -> {
            parts.add(new int[] {from, to});
            assertEquals(0, from % chunk, "a part starts on a chunk");
            for (int base = from; base < to; base += chunk) {
                assertEquals(null, cursorOfChunk.put(base / chunk, cursor), "chunk " + base / chunk + " visited twice");
            }
        });
        assertEquals(3, parts.size(), "three threads, three parts");
        assertEquals((n + chunk - 1) / chunk, cursorOfChunk.size(), "every chunk visited");
        assertEquals(3, cursorOfChunk.values().stream().distinct().count(), "a cursor per part");
    }

    @Test
    void smallTensorsStayOnTheCaller() {
        System.setProperty(ChunkedUpdate.THREADS_PROPERTY, "4");
        SlotChunks first = new BufferSlotChunks(new INDArray[] {Nd4j.zeros(DataType.FLOAT, 5000)});
        List<Thread> threads = new ArrayList<>();
        ChunkedUpdate.run(5000, first, (cursor, from, to) -> threads.add(Thread.currentThread()));
        assertEquals(List.of(Thread.currentThread()), threads);
    }

    @Test
    void aBadThreadCountNamesTheProperty() {
        System.setProperty(ChunkedUpdate.THREADS_PROPERTY, "zero");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, ChunkedUpdate::threads);
        assertTrue(e.getMessage().contains("spindle.optim.threads=zero"), e.getMessage());
    }

    @Test
    void adamwAndLambGiveTheSameBitsOnOneAndOnThreeThreads() {
        List<Supplier<Optimizer>> optimizers = List.of(
                () -> new AdamW(0.9, 0.95, 1e-8, 0.1, ParamSlot.ROLES, StateFormat.DENSE),
                () -> new AdamW(0.9, 0.95, 1e-8, 0.1, ParamSlot.ROLES, StateFormat.coat(128)),
                () -> new Lamb(0.9, 0.999, 1e-6, 0.01, ParamSlot.ROLES, StateFormat.DENSE),
                () -> new Lamb(0.9, 0.999, 1e-6, 0.01, ParamSlot.ROLES, StateFormat.coat(128)));
        for (Supplier<Optimizer> make : optimizers) {
            System.setProperty(ChunkedUpdate.THREADS_PROPERTY, "1");
            Trained one = train(make.get());
            System.setProperty(ChunkedUpdate.THREADS_PROPERTY, "3");
            Trained three = train(make.get());
            for (int i = 0; i < SHAPES.length; i++) {
                assertArrayEquals(one.params.get(i), three.params.get(i), one.name + " parameter " + i);
            }
            assertEquals(one.state.keySet(), three.state.keySet());
            for (String key : one.state.keySet()) {
                assertArrayEquals(one.state.get(key), three.state.get(key), one.name + " state " + key);
            }
        }
    }

    private record Trained(String name, List<float[]> params, Map<String, float[]> state) {}

    private static Trained train(Optimizer optimizer) {
        Nd4j.getRandom().setSeed(9);
        List<ParamSlot> params = new ArrayList<>();
        for (int i = 0; i < SHAPES.length; i++) {
            INDArray w = Nd4j.randn(DataType.FLOAT, SHAPES[i]).muli(0.1);
            params.add(new ParamSlot("p" + i, SHAPES[i], ParamSlot.MATRIX, w, Nd4j.zeros(DataType.FLOAT, SHAPES[i])));
        }
        for (int t = 0; t < 3; t++) {
            for (ParamSlot p : params) p.grad().assign(Nd4j.randn(DataType.FLOAT, p.shape()).muli(1e-3));
            optimizer.step(params, 1e-2);
        }
        List<float[]> values = new ArrayList<>();
        for (ParamSlot p : params) values.add(p.value().dup('c').data().asFloat());
        Map<String, float[]> state = new java.util.TreeMap<>();
        optimizer.state().forEach((k, v) -> state.put(k, v.castTo(DataType.FLOAT).dup('c').data().asFloat()));
        return new Trained(optimizer.getClass().getSimpleName(), values, state);
    }
}
