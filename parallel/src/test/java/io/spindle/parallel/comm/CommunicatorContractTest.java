package io.spindle.parallel.comm;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every collective of both implementations against a direct computation, world sizes 1–4. */
class CommunicatorContractTest {
    /** 64-byte chunks: 16 floats, so even small buffers cross many chunks and exercise the pipeline. */
    static final CommConfig SMALL_CHUNKS = CommConfig.defaults().withChunkBytes(64)
            .withTimeouts(Duration.ofSeconds(20), Duration.ofSeconds(20));
    private static final int[] LENGTHS = {1, 7, 1003};

    static Stream<Arguments> groups() {
        return Stream.of("tcp", "inprocess").flatMap(kind -> Stream.of(1, 2, 3, 4).map(n -> Arguments.of(kind, n)));
    }

    static List<Communicator> group(String kind, int n) throws IOException {
        return kind.equals("tcp") ? RankThreads.tcpRing(n, SMALL_CHUNKS) : InProcessGroup.create(n, Duration.ofSeconds(20));
    }

    /** Values spread over 20 binary orders of magnitude, so summation order shows in the low bits. */
    static float[] input(int rank, int length, long salt) {
        SplittableRandom random = new SplittableRandom(salt * 1_000_003L + rank);
        float[] x = new float[length];
        for (int i = 0; i < length; i++) x[i] = (float) ((random.nextDouble() - 0.5) * Math.scalb(1.0, random.nextInt(20) - 10));
        return x;
    }

    @ParameterizedTest(name = "{0} n={1}")
    @MethodSource("groups")
    void allReduceMatchesDirectSum(String kind, int n) throws Exception {
        List<Communicator> comms = group(kind, n);
        try {
            for (int length : LENGTHS) {
                for (ReduceOp op : ReduceOp.values()) {
                    List<float[]> results = RankThreads.all(n, r -> {
                        INDArray buf = Nd4j.createFromArray(input(r, length, length));
                        comms.get(r).allReduce(buf, op);
                        return buf.toFloatVector();
                    });
                    for (int i = 0; i < length; i++) {
                        double sum = 0;
                        double magnitude = 0;
                        for (int q = 0; q < n; q++) {
                            sum += input(q, length, length)[i];
                            magnitude += Math.abs(input(q, length, length)[i]);
                        }
                        double expected = op == ReduceOp.AVG ? sum / n : sum;
                        double tolerance = 1e-6 * magnitude + 1e-30;
                        assertEquals(expected, results.get(0)[i], tolerance, op + " length " + length + " element " + i);
                    }
                    for (int r = 1; r < n; r++) assertArrayEquals(results.get(0), results.get(r), "rank " + r + " differs from rank 0");
                }
            }
        } finally {
            RankThreads.closeAll(comms);
        }
    }

    @ParameterizedTest(name = "{0} n={1}")
    @MethodSource("groups")
    void bf16AllReduceRoundsOnTheWireButSumsInFloat32(String kind, int n) throws Exception {
        List<Communicator> comms = group(kind, n);
        int length = 1003;
        try {
            List<float[]> results = RankThreads.all(n, r -> {
                INDArray buf = Nd4j.createFromArray(input(r, length, 5));
                comms.get(r).allReduce(buf, ReduceOp.SUM, WirePrecision.BFLOAT16);
                return buf.toFloatVector();
            });
            for (int i = 0; i < length; i++) {
                double sum = 0;
                double magnitude = 0;
                for (int q = 0; q < n; q++) {
                    sum += input(q, length, 5)[i];
                    magnitude += Math.abs(input(q, length, 5)[i]);
                }
                float got = results.get(0)[i];
                assertEquals(0, Float.floatToRawIntBits(got) & 0xffff, "element " + i + " is not bf16-representable");
                // one rounding (relative 2^-9) per hop plus the final one
                assertEquals(sum, got, magnitude * n * Math.scalb(1.0, -8), "element " + i);
            }
            for (int r = 1; r < n; r++) assertArrayEquals(results.get(0), results.get(r), "rank " + r + " differs from rank 0");
        } finally {
            RankThreads.closeAll(comms);
        }
    }

    @ParameterizedTest(name = "{0} n={1}")
    @MethodSource("groups")
    void reduceScatterGivesRankItsReducedChunk(String kind, int n) throws Exception {
        List<Communicator> comms = group(kind, n);
        try {
            for (int k : new int[] {1, 5, 37}) {
                for (ReduceOp op : ReduceOp.values()) {
                    List<float[]> outs = RankThreads.all(n, r -> {
                        float[] original = input(r, n * k, k);
                        INDArray in = Nd4j.createFromArray(original.clone());
                        INDArray out = Nd4j.zeros(org.nd4j.linalg.api.buffer.DataType.FLOAT, k);
                        comms.get(r).reduceScatter(in, out, op);
                        assertArrayEquals(original, in.toFloatVector(), "reduceScatter changed its input");
                        return out.toFloatVector();
                    });
                    for (int r = 0; r < n; r++) {
                        for (int i = 0; i < k; i++) {
                            double sum = 0;
                            double magnitude = 0;
                            for (int q = 0; q < n; q++) {
                                sum += input(q, n * k, k)[r * k + i];
                                magnitude += Math.abs(input(q, n * k, k)[r * k + i]);
                            }
                            double expected = op == ReduceOp.AVG ? sum / n : sum;
                            assertEquals(expected, outs.get(r)[i], 1e-6 * magnitude + 1e-30, "rank " + r + " k " + k + " element " + i);
                        }
                    }
                }
            }
        } finally {
            RankThreads.closeAll(comms);
        }
    }

    @ParameterizedTest(name = "{0} n={1}")
    @MethodSource("groups")
    void allGatherConcatenatesInRankOrder(String kind, int n) throws Exception {
        List<Communicator> comms = group(kind, n);
        try {
            for (int k : new int[] {1, 5, 37}) {
                List<float[]> outs = RankThreads.all(n, r -> {
                    INDArray out = Nd4j.zeros(org.nd4j.linalg.api.buffer.DataType.FLOAT, n * k);
                    comms.get(r).allGather(Nd4j.createFromArray(input(r, k, 3)), out);
                    return out.toFloatVector();
                });
                float[] expected = new float[n * k];
                for (int q = 0; q < n; q++) System.arraycopy(input(q, k, 3), 0, expected, q * k, k);
                for (int r = 0; r < n; r++) assertArrayEquals(expected, outs.get(r), "rank " + r + " k " + k);
            }
        } finally {
            RankThreads.closeAll(comms);
        }
    }

    @ParameterizedTest(name = "{0} n={1}")
    @MethodSource("groups")
    void broadcastCopiesTheRootsBuffer(String kind, int n) throws Exception {
        List<Communicator> comms = group(kind, n);
        try {
            for (int root = 0; root < n; root++) {
                int rootRank = root;
                List<float[]> outs = RankThreads.all(n, r -> {
                    INDArray buf = Nd4j.createFromArray(input(r, 1003, 11));
                    comms.get(r).broadcast(buf, rootRank);
                    return buf.toFloatVector();
                });
                for (int r = 0; r < n; r++) assertArrayEquals(input(root, 1003, 11), outs.get(r), "rank " + r + " root " + root);
            }
        } finally {
            RankThreads.closeAll(comms);
        }
    }

    @ParameterizedTest(name = "{0} n={1}")
    @MethodSource("groups")
    void barrierReleasesNoRankBeforeAllArrive(String kind, int n) throws Exception {
        List<Communicator> comms = group(kind, n);
        AtomicInteger arrived = new AtomicInteger();
        try {
            List<Integer> seen = RankThreads.all(n, r -> {
                Thread.sleep(40L * r);
                arrived.incrementAndGet();
                comms.get(r).barrier();
                return arrived.get();
            });
            for (int r = 0; r < n; r++) assertEquals(n, seen.get(r), "rank " + r + " left the barrier early");
        } finally {
            RankThreads.closeAll(comms);
        }
        assertTrue(arrived.get() == n);
    }
}
