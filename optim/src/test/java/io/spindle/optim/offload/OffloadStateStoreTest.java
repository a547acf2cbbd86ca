package io.spindle.optim.offload;

import io.spindle.optim.FlatParams;
import io.spindle.optim.Optimizer;
import io.spindle.optim.ParamSlot;
import io.spindle.optim.adamw.AdamW;
import io.spindle.optim.auon.AuOn;
import io.spindle.optim.auon.HybridAuOn;
import io.spindle.optim.lamb.Lamb;
import io.spindle.optim.muon.Muon;
import io.spindle.optim.muon.NorMuon;
import io.spindle.optim.routing.OptimizerRouter;
import io.spindle.optim.state.StateFormat;
import io.spindle.optim.state.TensorSource;
import io.spindle.optim.state.TensorSpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.BiConsumer;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OffloadStateStoreTest {
    /** Frames of 6 blocks (24,576 bytes): the largest AdamW record (3 x 2,048 floats) just fits, so most chunks hold one or two tensors. */
    private static final long BUDGET = 3L * 7 * 4096;

    @TempDir
    Path dir;
    private final List<AutoCloseable> owned = new ArrayList<>();

    @BeforeEach
    void noFilesYet() throws Exception {
        assertEquals(0, listing().size());
    }

    @AfterEach
    void closeAndCheckNothingIsLeft() throws Exception {
        for (AutoCloseable c : owned) c.close();
        assertEquals(List.of(), listing(), "offload files are unlinked once opened");
    }

    private List<Path> listing() throws Exception {
        try (var s = Files.list(dir)) {
            return s.toList();
        }
    }

    private static FlatParams layout() {
        return new FlatParams("embed", ParamSlot.EMBEDDING, new long[] {48, 40}, "norm", ParamSlot.NORM, new long[] {300},
                "w1", ParamSlot.MATRIX, new long[] {7, 9}, "w2", ParamSlot.MATRIX, new long[] {64, 32},
                "bias", ParamSlot.BIAS, new long[] {40}, "w3", ParamSlot.MATRIX, new long[] {32, 48});
    }

    private OffloadWindow window(long budget) {
        OffloadWindow w = OffloadWindow.open(OffloadConfig.of(budget, dir.toString()));
        owned.add(w);
        return w;
    }

    private Optimizer own(Optimizer o) {
        owned.add(0, o);
        return o;
    }

    /** Every optimizer, built on a given state format. */
    private static List<Function<StateFormat, Optimizer>> optimizers() {
        return List.of(
                f -> new AdamW(0.9, 0.95, 1e-8, 0.1, AdamW.DEFAULT_DECAYED_ROLES, f),
                f -> new Lamb(0.9, 0.99, 1e-6, 0.01, AdamW.DEFAULT_DECAYED_ROLES, f),
                f -> routed(new Muon(0.95, true, 5, 0.01, f), f),
                f -> routed(new NorMuon(0.95, true, 5, 0.95, 0.01, f), f),
                f -> routed(new AuOn(AuOn.Form.PAPER, 0.95, 0.01, 1.0, f), f),
                f -> routed(new HybridAuOn(AuOn.Form.PACKAGE, 0.95, 0.01, 1.0, 1, f), f));
    }

    private static Optimizer routed(Optimizer matrices, StateFormat f) {
        return OptimizerRouter.matricesAndRest(matrices, 0.5, new AdamW(0.9, 0.95, 1e-8, 0.1,
                AdamW.DEFAULT_DECAYED_ROLES, f), 1.0);
    }

    private static void steps(Optimizer o, FlatParams p, int from, int to) {
        for (int t = from; t < to; t++) {
            p.randomGrads(new SplittableRandom(100 + t), 0.1);
            if (t % 2 == 1) o.prefetch();
            o.step(p.slots, 1e-2);
        }
    }

    private static FlatParams initial() {
        FlatParams p = layout();
        p.randomValues(new SplittableRandom(7));
        return p;
    }

    private static void assertSame(FlatParams expected, Optimizer expectedOpt, FlatParams actual, Optimizer actualOpt,
                                   String what) {
        assertArrayEquals(expected.values.toFloatVector(), actual.values.toFloatVector(), what + ": parameters");
        assertTrue(actual.guardsIntact(), what + ": nothing written outside the parameters");
        Map<String, INDArray> a = expectedOpt.state();
        Map<String, INDArray> b = actualOpt.state();
        assertEquals(a.keySet(), b.keySet(), what + ": state names");
        for (String k : a.keySet()) {
            assertEquals(a.get(k).dataType(), b.get(k).dataType(), what + ": type of " + k);
            assertArrayEquals(a.get(k).castTo(DataType.DOUBLE).data().asDouble(),
                    b.get(k).castTo(DataType.DOUBLE).data().asDouble(), what + ": state " + k);
        }
    }

    /** Dense float32 state, and COAT FP8 (Fuyou + COAT: the compressed state is what moves to disk). */
    private static final List<StateFormat> FORMATS = List.of(StateFormat.DENSE, StateFormat.coat(32));

    /**
     * Offloaded state and master weights give the parameters and state of the same optimizer with
     * the same state format in memory, bit for bit.
     */
    @Test
    void offloadedStepsAreBitIdenticalToInMemory() {
        for (StateFormat format : FORMATS) {
            for (Function<StateFormat, Optimizer> make : optimizers()) {
                FlatParams memory = initial();
                FlatParams offloaded = initial();
                Optimizer inMemory = make.apply(format);
                Optimizer onDisk = own(make.apply(format.offloadedThrough(window(BUDGET))));
                steps(inMemory, memory, 0, 5);
                steps(onDisk, offloaded, 0, 5);
                String what = inMemory.getClass().getSimpleName() + " " + format.kind();
                assertSame(memory, inMemory, offloaded, onDisk, what);
                assertEquals(values(inMemory), values(onDisk), what + ": decompressed state");
                if (format.kind() == StateFormat.Kind.DENSE) {
                    assertEquals(0, onDisk.stateBytes(), "no float32 state stays in memory outside the window");
                }
            }
        }
    }

    private static Map<String, List<Float>> values(Optimizer o) {
        Map<String, List<Float>> out = new java.util.TreeMap<>();
        o.stateValues().forEach((k, v) -> {
            List<Float> floats = new ArrayList<>();
            for (double d : v.castTo(DataType.DOUBLE).data().asDouble()) floats.add((float) d);
            out.put(k, floats);
        });
        return out;
    }

    /** With optim.offload.directIo = false the chunks go through the page cache, with the same result. */
    @Test
    void bufferedIoGivesTheSameSteps() {
        FlatParams memory = initial();
        FlatParams offloaded = initial();
        Optimizer inMemory = make(StateFormat.DENSE);
        OffloadWindow buffered = OffloadWindow.open(new OffloadConfig(true, BUDGET, dir.toString(), false));
        owned.add(buffered);
        Optimizer onDisk = make(StateFormat.DENSE.offloadedThrough(buffered));
        steps(inMemory, memory, 0, 4);
        steps(onDisk, offloaded, 0, 4);
        assertSame(memory, inMemory, offloaded, onDisk, "buffered I/O");
    }

    /** How a checkpoint's state goes from one optimizer to the next: all in memory, or a tensor at a time. */
    private static final List<BiConsumer<Optimizer, Optimizer>> TRANSFERS = List.of(
            (from, to) -> to.loadState(from.state()),
            (from, to) -> to.loadState(from.stateSource()));

    /**
     * A checkpoint of offloaded state resumes in memory and the other way round, bit-identically,
     * whether the state is handed over as a map or streamed a tensor at a time.
     */
    @Test
    void checkpointsMoveBetweenOffloadedAndInMemoryState() {
        for (BiConsumer<Optimizer, Optimizer> transfer : TRANSFERS) {
            for (StateFormat format : FORMATS) {
                for (Function<StateFormat, Optimizer> make : optimizers()) {
                    FlatParams straight = initial();
                    Optimizer reference = make.apply(format);
                    steps(reference, straight, 0, 8);

                    FlatParams first = initial();
                    Optimizer offloaded = own(make.apply(format.offloadedThrough(window(BUDGET))));
                    steps(offloaded, first, 0, 2);
                    FlatParams second = initial();
                    second.values.assign(first.values);
                    Optimizer inMemory = make.apply(format);
                    transfer.accept(offloaded, inMemory);
                    steps(inMemory, second, 2, 4);
                    FlatParams third = initial();
                    third.values.assign(second.values);
                    Optimizer offloadedAgain = own(make.apply(format.offloadedThrough(window(BUDGET))));
                    transfer.accept(inMemory, offloadedAgain);
                    steps(offloadedAgain, third, 4, 6);
                    FlatParams fourth = initial();
                    fourth.values.assign(third.values);
                    Optimizer offloadedThird = own(make.apply(format.offloadedThrough(window(BUDGET))));
                    transfer.accept(offloadedAgain, offloadedThird);
                    steps(offloadedThird, fourth, 6, 8);
                    assertSame(straight, reference, fourth, offloadedThird, reference.getClass().getSimpleName() + " "
                            + format.kind());
                }
            }
        }
    }

    /**
     * The streamed snapshot of offloaded state reads each record into the window and hands its
     * tensors over as views of it; what it copies (COAT's codes and k) it frees before the next
     * tensor: a checkpoint holds one record of the state, inside the window's budget.
     */
    @Test
    void streamedSnapshotHoldsOneRecordInTheWindow() throws Exception {
        for (StateFormat format : FORMATS) {
            for (Function<StateFormat, Optimizer> make : optimizers()) {
                OffloadWindow window = window(BUDGET);
                Optimizer o = own(make.apply(format.offloadedThrough(window)));
                FlatParams p = initial();
                steps(o, p, 0, 2);
                o.prefetch(); // chunks read ahead for the next step must survive the checkpoint
                Map<String, INDArray> whole = o.state();
                List<INDArray> copies = new ArrayList<>();
                int[] handed = {0, 0};
                o.stateSource().produce((spec, t) -> {
                    assertArrayEquals(whole.get(spec.name()).castTo(DataType.DOUBLE).data().asDouble(),
                            t.castTo(DataType.DOUBLE).data().asDouble(), spec.name());
                    if (spec.elements() == 1) return; // step, group size
                    for (INDArray earlier : copies) assertTrue(earlier.wasClosed(), "freed before " + spec.name());
                    handed[0]++;
                    if (window.holds(t)) handed[1]++;
                    else copies.add(t);
                });
                String what = o.getClass().getSimpleName() + " " + format.kind();
                List<TensorSpec> specs = o.stateSource().specs();
                assertEquals(whole.size(), specs.size());
                assertEquals(specs.stream().filter(t -> t.elements() > 1).count(), handed[0], what + ": tensors handed over");
                if (format.kind() == StateFormat.Kind.DENSE) {
                    assertEquals(handed[0], handed[1], what + ": every tensor a view of the window");
                } else {
                    assertTrue(handed[1] > 0 && copies.stream().allMatch(INDArray::wasClosed), what);
                }
                FlatParams straight = initial();
                Optimizer reference = make.apply(format);
                steps(reference, straight, 0, 3);
                steps(o, p, 2, 3);
                assertSame(straight, reference, p, o, what + ": the step after the checkpoint");
            }
        }
    }

    /**
     * A source may reuse a tensor's memory once its sink returns (a checkpoint reader does): a store
     * that kept a reference instead of the values would load garbage. Here every tensor is poisoned
     * right after it was handed over, and the resumed run still equals the uninterrupted one.
     */
    @Test
    void streamedLoadKeepsNoReferenceToTheTensorsItWasHanded() {
        for (StateFormat format : FORMATS) {
            for (Function<StateFormat, Optimizer> make : optimizers()) {
                FlatParams straight = initial();
                Optimizer reference = make.apply(format);
                steps(reference, straight, 0, 5);

                FlatParams first = initial();
                Optimizer before = make.apply(format);
                steps(before, first, 0, 3);
                Optimizer after = own(make.apply(format.offloadedThrough(window(BUDGET))));
                after.loadState(new PoisoningSource(before.state()));
                steps(after, first, 3, 5);
                assertSame(straight, reference, first, after, "poisoned " + reference.getClass().getSimpleName() + " "
                        + format.kind());
            }
        }
    }

    /** Hands out a copy of each tensor and overwrites it as soon as the sink returns. */
    private record PoisoningSource(Map<String, INDArray> tensors) implements TensorSource {
        @Override
        public List<TensorSpec> specs() {
            return TensorSource.of(tensors).specs();
        }

        @Override
        public void produce(java.util.function.Predicate<String> wanted, Sink sink) throws java.io.IOException {
            for (Map.Entry<String, INDArray> e : tensors.entrySet()) {
                if (!wanted.test(e.getKey())) continue;
                INDArray t = e.getValue().dup('c');
                sink.accept(TensorSpec.of(e.getKey(), t), t);
                t.assign(e.getValue().dataType().isFPType() ? Double.NaN : 77);
            }
        }
    }

    /**
     * A load that fails part-way (the checkpoint's file fails to read, or a COAT tensor holds an
     * impossible k) changes nothing: the store steps on from the state it had.
     */
    @Test
    void aFailedStreamedLoadLeavesTheStateAsItWas() {
        for (StateFormat format : FORMATS) {
            FlatParams straight = initial();
            Optimizer reference = make(format);
            steps(reference, straight, 0, 6);

            FlatParams p = initial();
            Optimizer o = make(format.offloadedThrough(window(BUDGET)));
            steps(o, p, 0, 2);
            Map<String, INDArray> other = o.state();
            steps(o, p, 2, 4);
            TensorSource failing = new TensorSource() {
                @Override
                public List<TensorSpec> specs() {
                    return TensorSource.of(other).specs();
                }

                @Override
                public void produce(java.util.function.Predicate<String> wanted, Sink sink) throws java.io.IOException {
                    int[] n = {0};
                    TensorSource.of(other).produce(wanted, (spec, t) -> {
                        if (++n[0] == 6) throw new java.io.IOException("injected read failure");
                        sink.accept(spec, t);
                    });
                }
            };
            assertThrows(java.io.UncheckedIOException.class, () -> o.loadState(failing));
            if (format.kind() == StateFormat.Kind.COAT) {
                Map<String, INDArray> badK = new java.util.LinkedHashMap<>(other);
                String k = badK.keySet().stream().filter(n -> n.endsWith(".k")).reduce((a, b) -> b).orElseThrow();
                INDArray poisoned = badK.get(k).dup();
                poisoned.putScalar(0, 0.01);
                badK.put(k, poisoned);
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> o.loadState(TensorSource.of(badK)));
                assertTrue(e.getMessage().contains(k), e.getMessage());
            }
            steps(o, p, 4, 6);
            assertSame(straight, reference, p, o, "after failed loads, " + format.kind());
        }
    }

    /** A streamed snapshot is of the state when it was taken: after a step it refuses to read. */
    @Test
    void aSnapshotSourceRefusesToReadAfterTheStateChanged() {
        FlatParams p = initial();
        Optimizer o = make(StateFormat.DENSE.offloadedThrough(window(BUDGET)));
        steps(o, p, 0, 1);
        TensorSource taken = o.stateSource();
        steps(o, p, 1, 2);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> taken.produce((spec, t) -> { }));
        assertTrue(e.getMessage().contains("changed since"), e.getMessage());
    }

    /**
     * A run killed inside the pipeline (an I/O fault injected part-way through a step) and resumed
     * from its last checkpoint ends equal to an uninterrupted run; the damaged store refuses to step on.
     */
    @Test
    void runKilledMidUpdateResumesFromItsCheckpoint() {
        for (int faultAfter : new int[] {0, 3, 7}) {
            FlatParams straight = initial();
            Optimizer reference = make(StateFormat.DENSE.offloadedThrough(window(BUDGET)));
            steps(reference, straight, 0, 6);

            FlatParams crashed = initial();
            OffloadWindow window = window(BUDGET);
            Optimizer victim = make(StateFormat.DENSE.offloadedThrough(window));
            steps(victim, crashed, 0, 3);
            Map<String, INDArray> checkpointState = victim.state();
            INDArray checkpointParams = crashed.values.dup();
            window.failAfter(faultAfter);
            assertThrows(OffloadIoException.class, () -> steps(victim, crashed, 3, 6), "fault after " + faultAfter);
            IllegalStateException refused = assertThrows(IllegalStateException.class, () -> steps(victim, crashed, 5, 6));
            assertTrue(refused.getMessage().contains("resume the run from its last checkpoint"), refused.getMessage());

            // The relaunched rank: parameters and optimizer state from the checkpoint, fresh scratch files.
            FlatParams resumed = initial();
            resumed.values.assign(checkpointParams);
            Optimizer relaunched = make(StateFormat.DENSE.offloadedThrough(window(BUDGET)));
            relaunched.loadState(checkpointState);
            steps(relaunched, resumed, 3, 6);
            assertSame(straight, reference, resumed, relaunched, "fault after " + faultAfter + " I/O operations");

            // The same process may also load the checkpoint into the damaged optimizer and go on.
            crashed.values.assign(checkpointParams);
            victim.loadState(checkpointState);
            steps(victim, crashed, 3, 6);
            assertSame(straight, reference, crashed, victim, "reloaded after fault " + faultAfter);
        }
    }

    private Optimizer make(StateFormat format) {
        return own(new AdamW(0.9, 0.95, 1e-8, 0.1, AdamW.DEFAULT_DECAYED_ROLES, format));
    }

    /** A tensor whose record does not fit one frame is refused before anything changes, naming it and the budget. */
    @Test
    void tensorLargerThanAFrameNamesTheTensorAndTheBudgetToRaise() {
        FlatParams p = initial();
        Optimizer o = make(StateFormat.DENSE.offloadedThrough(window(3L * 20_480)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> o.step(p.slots, 1e-2));
        // embed: 48 x 40 x (master, m, v) x 4 bytes = 23,040, padded to 24,576 for direct I/O
        assertTrue(e.getMessage().contains("embed") && e.getMessage().contains("optim.offload.memoryBudget=61440"),
                e.getMessage());
        assertEquals(0, o.stepCount());
        // The budget the message asks for is enough, and no less would do.
        long asked = Long.parseLong(e.getMessage().replaceAll(".*to at least (\\d+).*", "$1"));
        assertEquals(24_576, OffloadWindow.frameBytes(asked));
        assertTrue(OffloadWindow.frameBytes(asked - OffloadFile.ALIGNMENT) < 24_576);
    }

    /** The window is freed only when its creator and every store have let go of it. */
    @Test
    void windowLivesUntilItsLastReferenceIsReleased() {
        OffloadWindow w = OffloadWindow.open(OffloadConfig.of(BUDGET, dir.toString()));
        assertEquals(3 * 24_576, w.bytes(), "frames: the budget less its reserve, in whole blocks");
        Optimizer o = new AdamW(0.9, 0.95, 1e-8, 0.1, AdamW.DEFAULT_DECAYED_ROLES, StateFormat.DENSE.offloadedThrough(w));
        w.close();
        FlatParams p = initial();
        steps(o, p, 0, 2);
        o.close();
        assertThrows(IllegalStateException.class, w::next);
    }

    @Test
    void budgetSizesParse() {
        assertEquals(256L << 20, OffloadConfig.parseBytes("k", "256m"));
        assertEquals(2L << 30, OffloadConfig.parseBytes("k", "2G"));
        assertEquals(65_536, OffloadConfig.parseBytes("k", "65536"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OffloadConfig.parseBytes("optim.offload.memoryBudget", "lots"));
        assertTrue(e.getMessage().contains("optim.offload.memoryBudget") && e.getMessage().contains("256m"));
    }
}
