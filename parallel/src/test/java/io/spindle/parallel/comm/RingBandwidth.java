package io.spindle.parallel.comm;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;

/**
 * Benchmark main, not a test: all-reduce bandwidth of two TCP ranks in this JVM over loopback.
 * Bus bandwidth is bytes·2(n−1)/n per second, the figure comparable across world sizes (NCCL's).
 * Run: {@code java -cp <test classpath> io.spindle.parallel.comm.RingBandwidth [MiB] [chunkKiB] [ranks]}.
 */
public final class RingBandwidth {
    private RingBandwidth() {}

    public static void main(String[] args) throws Exception {
        int mib = args.length > 0 ? Integer.parseInt(args[0]) : 64;
        int chunkKib = args.length > 1 ? Integer.parseInt(args[1]) : 1024;
        int n = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        int elements = mib << 18;
        List<Communicator> ring = RankThreads.tcpRing(n, CommConfig.defaults().withChunkBytes(chunkKib << 10));
        try {
            List<INDArray> buffers = RankThreads.all(n, r -> Nd4j.ones(DataType.FLOAT, elements));
            for (WirePrecision wire : WirePrecision.values()) {
                int iterations = 5;
                run(ring, buffers, wire, 2);
                long start = System.nanoTime();
                run(ring, buffers, wire, iterations);
                double seconds = (System.nanoTime() - start) / 1e9 / iterations;
                double bytes = (double) elements * 4;
                System.out.printf("%d ranks, %d MiB float32 buffer, %d KiB chunks, %s wire: %.1f ms/all-reduce, "
                                + "algbw %.2f GB/s, busbw %.2f GB/s%n", n, mib, chunkKib, wire, seconds * 1e3,
                        bytes / seconds / 1e9, bytes * 2 * (n - 1) / n / seconds / 1e9);
            }
        } finally {
            RankThreads.closeAll(ring);
        }
    }

    private static void run(List<Communicator> ring, List<INDArray> buffers, WirePrecision wire, int times) {
        RankThreads.values(RankThreads.run(ring.size(), 600, r -> {
            for (int i = 0; i < times; i++) ring.get(r).allReduce(buffers.get(r), ReduceOp.AVG, wire);
            return null;
        }));
    }
}
