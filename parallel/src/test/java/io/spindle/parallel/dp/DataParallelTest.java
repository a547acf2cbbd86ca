package io.spindle.parallel.dp;

import io.spindle.parallel.comm.Communicator;
import io.spindle.parallel.comm.InProcessGroup;
import io.spindle.parallel.comm.WirePrecision;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

public class DataParallelTest {

    public interface RankBody<T> {
        T run(DataParallel dp) throws Exception;
    }

    /** Runs one body per rank of an in-process group on its own thread; any failure or a hang fails the test. */
    public static <T> List<T> onRanks(int n, int bucketBytes, RankBody<T> body) throws Exception {
        return onRanks(n, bucketBytes, WirePrecision.FLOAT32, body);
    }

    /** As above, with gradients sent as {@code wire} in the sync. */
    public static <T> List<T> onRanks(int n, int bucketBytes, WirePrecision wire, RankBody<T> body) throws Exception {
        List<Communicator> group = InProcessGroup.create(n);
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (Communicator c : group) {
                futures.add(pool.submit(() -> {
                    try (DataParallel dp = new DataParallel(c, bucketBytes, wire)) {
                        return body.run(dp);
                    }
                }));
            }
            List<T> out = new ArrayList<>();
            for (Future<T> f : futures) out.add(f.get(300, TimeUnit.SECONDS));
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    /** Rank r's gradient element i is r·1000 + i, so the mean over n ranks is 500·(n−1) + i. */
    private static INDArray grads(int rank, int length) {
        INDArray g = Nd4j.create(DataType.FLOAT, length);
        for (int i = 0; i < length; i++) g.putScalar(i, rank * 1000f + i);
        return g;
    }

    @Test
    void averagesTheFlatBufferInPlaceOverBucketsThatDoNotDivideIt() throws Exception {
        int n = 3;
        int length = 1001;
        // 64-byte buckets: 16 floats, so 62 full buckets and a last one of 9 elements
        List<float[]> results = onRanks(n, 64, dp -> {
            INDArray g = grads(dp.rank(), length);
            INDArray before = g;
            dp.sync(g);
            assertSame(before, g);
            return g.toFloatVector();
        });
        float[] expected = new float[length];
        for (int i = 0; i < length; i++) expected[i] = 500f * (n - 1) + i;
        for (float[] r : results) assertArrayEquals(expected, r, 1e-3f);
        for (float[] r : results) assertArrayEquals(results.get(0), r, 0f, "bit-identical on every rank");
    }

    @Test
    void bucketSizeDoesNotChangeTheResult() throws Exception {
        List<float[]> small = onRanks(2, 40, dp -> {
            INDArray g = grads(dp.rank(), 777).muli(1.0f / 3);
            dp.sync(g);
            return g.toFloatVector();
        });
        List<float[]> whole = onRanks(2, DataParallel.DEFAULT_BUCKET_BYTES, dp -> {
            INDArray g = grads(dp.rank(), 777).muli(1.0f / 3);
            dp.sync(g);
            return g.toFloatVector();
        });
        assertArrayEquals(whole.get(0), small.get(0), 0f);
    }

    @Test
    void bfloat16OnTheWireGivesEveryRankTheSameBf16RoundedMean() throws Exception {
        int length = 300;
        List<float[]> results = onRanks(2, 64, WirePrecision.BFLOAT16, dp -> {
            INDArray g = grads(dp.rank(), length).muli(1.0f / 3);
            dp.sync(g);
            return g.toFloatVector();
        });
        for (int i = 0; i < length; i++) {
            float exact = (i + (1000f + i)) / 3 / 2;
            float got = results.get(0)[i];
            // bf16 keeps 8 significant bits: each rounding is within 2^-9 relative, and there are a few
            assertEquals(exact, got, Math.abs(exact) * 0x1p-7f, "element " + i);
            assertEquals(0, Float.floatToRawIntBits(got) & 0xFFFF, "element " + i + " is bf16-representable: " + got);
        }
        assertArrayEquals(results.get(0), results.get(1), 0f, "bit-identical on every rank");
    }

    @Test
    void meanOfAScalarAndNonFiniteValuesReachEveryRank() throws Exception {
        List<Float> means = onRanks(4, 64, dp -> dp.mean(dp.rank() + 1f));
        for (float m : means) assertEquals(2.5f, m, 0f);
        List<Float> poisoned = onRanks(2, 64, dp -> dp.mean(dp.rank() == 1 ? Float.NaN : 1f));
        for (float m : poisoned) assertTrue(Float.isNaN(m), "a NaN on one rank is seen by all: " + poisoned);
    }

    @Test
    void aLoneRankLeavesEverythingUnchanged() {
        try (DataParallel dp = DataParallel.single()) {
            INDArray g = grads(0, 10);
            dp.sync(g);
            assertArrayEquals(grads(0, 10).toFloatVector(), g.toFloatVector(), 0f);
            assertEquals(1.25f, dp.mean(1.25f), 0f);
            assertEquals(1, dp.size());
        }
    }

    @Test
    void refusesAMultiDimensionalBufferAndABadBucketSize() throws Exception {
        onRanks(1, 64, dp -> {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> dp.sync(Nd4j.create(DataType.FLOAT, 2, 3)));
            assertTrue(e.getMessage().contains("1-D"), e.getMessage());
            return null;
        });
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new DataParallel(InProcessGroup.create(1).get(0), 6));
        assertTrue(e.getMessage().contains("parallel.bucketMb"), e.getMessage());
    }
}
