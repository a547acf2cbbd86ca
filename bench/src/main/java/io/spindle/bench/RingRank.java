package io.spindle.bench;

import io.spindle.parallel.comm.CommConfig;
import io.spindle.parallel.comm.ReduceOp;
import io.spindle.parallel.comm.TcpRingCommunicator;
import io.spindle.parallel.comm.WirePrecision;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.FloatBuffer;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * Child JVM of {@link CollectivesBench}: one rank of a {@link TcpRingCommunicator} ring, joined
 * exactly as a training rank joins (own listener, published port, HMAC handshake with the job
 * secret on every link), timing float32 all-reduces (AVG) of the given sizes.
 *
 * <p>Usage: {@code RingRank rank n chunkKiB wire[,wire] warmup sizeMiB:iterations[,...]}; each size and
 * wire first runs {@code warmup} untimed all-reduces, and more if they move less than 256 MiB. Every
 * timed all-reduce starts right after a ring barrier and prints {@code SPAN label index startNanos
 * endNanos cpuMs} (cpuMs: the CPU time of this rank's thread, which runs the whole ring), and
 * {@code DONE cpuMs} (the whole JVM's) at the end (see {@link LoopbackNode} for why nanoTime
 * spans compare across processes).
 *
 * <p>Rank r's element i starts as (r+1) + i mod 7, so the average is (n+1)/2 + i mod 7: exact in
 * float32 and bf16 for n = 2 and 4, and a fixed point of further averages. After the last iteration
 * every element is checked against it, so a fast but wrong ring cannot produce a number.
 */
public final class RingRank {
    private RingRank() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 6) {
            System.err.println("usage: RingRank rank n chunkKiB wire[,wire] warmup sizeMiB:iterations[,...]");
            System.exit(2);
        }
        int rank = Integer.parseInt(args[0]);
        int n = Integer.parseInt(args[1]);
        CommConfig config = CommConfig.defaults().withChunkBytes(Integer.parseInt(args[2]) << 10);
        List<WirePrecision> wires = new ArrayList<>();
        for (String w : args[3].split(",")) wires.add(WirePrecision.valueOf(w.toUpperCase()));
        int warmup = Integer.parseInt(args[4]);

        ServerSocketChannel listener = RingRendezvous.listen();
        RingRendezvous ring = RingRendezvous.await();
        try (TcpRingCommunicator comm = TcpRingCommunicator.connect(rank, ring.peers(), listener, ring.secret(), config)) {
            System.out.println("JOINED " + rank);
            for (String size : args[5].split(",")) {
                int mib = Integer.parseInt(size.split(":")[0]);
                int iterations = Integer.parseInt(size.split(":")[1]);
                try (INDArray buf = Nd4j.create(DataType.FLOAT, (long) mib << 18)) {
                    for (WirePrecision wire : wires) {
                        measure(comm, buf, wire, warmup, iterations, mib + "MiB/" + wire.name().toLowerCase());
                    }
                }
            }
        }
        System.out.printf("DONE %.1f%n", CpuTime.process() / 1e6);
    }

    private static void measure(TcpRingCommunicator comm, INDArray buf, WirePrecision wire, int warmup,
                                int iterations, String label) {
        FloatBuffer view = buf.data().asNioFloat();
        int n = comm.size();
        for (int i = 0; i < view.capacity(); i++) view.put(i, comm.rank() + 1 + i % 7);
        // at least 256 MiB of warm-up per size, so that small buffers too run compiled code when timed;
        // a count, not a time, because every rank must call the same number of all-reduces
        int warmups = Math.max(warmup, (int) Math.ceil(256.0 * (1 << 18) / view.capacity()));
        for (int i = 0; i < warmups; i++) comm.allReduce(buf, ReduceOp.AVG, wire);
        for (int i = 0; i < iterations; i++) {
            comm.barrier();
            long cpu0 = CpuTime.thread();
            long start = System.nanoTime();
            comm.allReduce(buf, ReduceOp.AVG, wire);
            long end = System.nanoTime();
            System.out.printf("SPAN %s %d %d %d %.2f%n", label, i, start, end, (CpuTime.thread() - cpu0) / 1e6);
        }
        float base = (n + 1) / 2f;
        for (int i = 0; i < view.capacity(); i++) {
            if (view.get(i) != base + i % 7) {
                throw new IllegalStateException(label + ": rank " + comm.rank() + " element " + i + " is " + view.get(i)
                        + " after the all-reduces, expected " + (base + i % 7));
            }
        }
    }
}
