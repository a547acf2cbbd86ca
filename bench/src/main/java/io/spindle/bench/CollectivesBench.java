package io.spindle.bench;

import io.spindle.parallel.comm.CommConfig;
import io.spindle.parallel.net.SecretHandshake;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * All-reduce bus bandwidth of the TCP ring with every rank in its own JVM, beside the raw loopback
 * TCP throughput of one stream measured in the same run (before and after the all-reduces).
 *
 * <p>Parts, each a group of child JVMs started from this JVM's classpath:
 * <ol>
 *   <li>{@code loopback}: one stream, {@link LoopbackNode} "send" in one JVM → "recv" in another, once
 *       writing and reading the same 64 KiB block (the reference: the figure the goal is stated against)
 *       and once walking through {@code --span-mib} buffers in main memory, as a real buffer does;</li>
 *   <li>{@code raw ring n} (diagnostic): n {@link LoopbackNode}s that each send to their successor and
 *       receive from their predecessor at once, from and into {@code --span-mib} buffers: the all-reduce's
 *       traffic without framing or arithmetic, the transport's ceiling for it on this machine;</li>
 *   <li>{@code all-reduce n}: n {@link RingRank}s, one {@code TcpRingCommunicator} ring with the job-secret
 *       handshake, AVG over float32 buffers (float32 and bf16 on the wire);</li>
 *   <li>{@code loopback} (one block) again, to show whether the machine's speed drifted during the run.</li>
 * </ol>
 *
 * <p>One all-reduce's time is the span from the earliest rank's start to the latest rank's end
 * (each starts right after a barrier). Bus bandwidth = 2(n−1)/n × float32 bytes / time (NCCL's
 * definition): the bytes each ring link carries per second, comparable across n and with one raw
 * stream. For bf16 the same float32 byte count is used, so its row shows the speed the caller sees
 * (the wire carries half of it).
 *
 * <p>Usage: {@code CollectivesBench [--ranks 2,4] [--sizes 4,64,256] [--wires float32,bfloat16]
 * [--chunk-kib 1024[,...]] [--warmup 3] [--iterations N] [--loopback-mib 1024] [--loopback-transfers 6]
 * [--write-kib 64] [--read-kib 64] [--span-mib 256] [--no-raw-ring] [--logs DIR]}.
 */
public final class CollectivesBench {
    private static final List<String> CHILD_JVM_ARGS = List.of("-Xmx2g", "-Xms256m");
    /** The ring does no ND4J math; one OpenMP thread keeps ND4J's pool from competing for the 2 cores. */
    private static final Map<String, String> CHILD_ENV = Map.of("OMP_NUM_THREADS", "1", "OPENBLAS_NUM_THREADS", "1");
    private static final Duration PART_TIMEOUT = Duration.ofMinutes(15);

    private CollectivesBench() {}

    record Options(List<Integer> ranks, List<Integer> sizesMib, List<String> wires, List<Integer> chunkKib,
                   int warmup, int iterations, int loopbackMib, int loopbackTransfers, int writeKib, int readKib,
                   int spanMib, boolean rawRing, Path logs) {

        static Options parse(String[] args) {
            Map<String, String> v = new LinkedHashMap<>(Map.of(
                    "--ranks", "2,4", "--sizes", "4,64,256", "--wires", "float32,bfloat16",
                    "--chunk-kib", String.valueOf(CommConfig.DEFAULT_CHUNK_BYTES >> 10), "--warmup", "3",
                    "--iterations", "-1", "--loopback-mib", "1024", "--loopback-transfers", "6",
                    "--write-kib", "64", "--read-kib", "64"));
            v.put("--span-mib", "256");
            v.put("--logs", "bench/target/collectives");
            boolean rawRing = true;
            for (int i = 0; i < args.length; i++) {
                if (args[i].equals("--no-raw-ring")) {
                    rawRing = false;
                } else if (v.containsKey(args[i]) && i + 1 < args.length) {
                    v.put(args[i], args[++i]);
                } else {
                    throw new IllegalArgumentException("unknown argument " + args[i] + "; options: " + v.keySet()
                            + " (each with a value) and --no-raw-ring");
                }
            }
            Function<String, List<Integer>> ints = k -> Arrays.stream(v.get(k).split(",")).map(Integer::parseInt).toList();
            return new Options(ints.apply("--ranks"), ints.apply("--sizes"), List.of(v.get("--wires").split(",")),
                    ints.apply("--chunk-kib"), Integer.parseInt(v.get("--warmup")), Integer.parseInt(v.get("--iterations")),
                    Integer.parseInt(v.get("--loopback-mib")), Integer.parseInt(v.get("--loopback-transfers")),
                    Integer.parseInt(v.get("--write-kib")), Integer.parseInt(v.get("--read-kib")),
                    Integer.parseInt(v.get("--span-mib")), rawRing,
                    Path.of(v.get("--logs")));
        }

        /** Timed all-reduces per size: enough that each size moves ~2 GiB, between 8 and 50. */
        int iterationsFor(int mib) {
            return iterations > 0 ? iterations : Math.max(8, Math.min(50, 2048 / mib));
        }
    }

    /** Per iteration of one label: earliest start and latest end over all participants, and their summed CPU. */
    private static final class Spans {
        final TreeMap<Integer, long[]> bounds = new TreeMap<>();
        final TreeMap<Integer, Double> cpuMs = new TreeMap<>();

        void add(int index, long start, long end, double cpu) {
            bounds.merge(index, new long[] {start, end}, (a, b) -> new long[] {Math.min(a[0], b[0]), Math.max(a[1], b[1])});
            cpuMs.merge(index, cpu, Double::sum);
        }

        StepTimes times(String name) {
            return new StepTimes(name, bounds.values().stream().mapToDouble(b -> (b[1] - b[0]) / 1e6).toArray());
        }

        /** CPU time of all participants together per iteration (user + system): less sensitive to load than wall time. */
        StepTimes cpu(String name) {
            return new StepTimes(name, cpuMs.values().stream().mapToDouble(Double::doubleValue).toArray());
        }

        /** Cores kept busy by the participants on average while timed: their CPU time over the wall time. */
        double cores() {
            double wall = bounds.values().stream().mapToDouble(b -> (b[1] - b[0]) / 1e6).sum();
            return cpuMs.values().stream().mapToDouble(Double::doubleValue).sum() / wall;
        }
    }

    /** What one group of child JVMs measured, and who else used the CPU meanwhile. */
    private record Part(Map<String, Spans> spans, double wallSeconds, double ownCpuSeconds, MachineCpu machine) {
        String cpuLine(String name) {
            return machine.cpuLine(name, wallSeconds, ownCpuSeconds);
        }
    }

    public static void main(String[] args) throws Exception {
        Options o = Options.parse(args);
        printEnvironment();
        System.out.printf(Locale.ROOT, "bus bandwidth = 2(n-1)/n x float32 bytes / time, GB = 1e9 bytes; one all-reduce's time"
                + " = earliest rank's start to latest rank's end after a barrier%n");
        List<String> results = new ArrayList<>();
        results.add(memoryCopy(o.spanMib()));
        double loopbackBefore = loopback(o, "before", 0, results);
        if (o.spanMib() > 0) loopback(o, "before", o.spanMib(), results);
        for (int n : o.ranks()) {
            if (o.rawRing()) rawRing(o, n, results);
            for (int chunk : o.chunkKib()) allReduce(o, n, chunk, results);
        }
        double loopbackAfter = loopback(o, "after", 0, results);
        double reference = Math.max(loopbackBefore, loopbackAfter);
        System.out.println();
        System.out.printf(Locale.ROOT, "SUMMARY reference = the faster median of the two one-block loopback runs: %.2f GB/s%n",
                reference);
        for (String r : results) {
            System.out.println(r.replace("@REF", String.format(Locale.ROOT, "%.0f%%", 100 * busbwMedian(r) / reference)));
        }
        System.out.printf(Locale.ROOT, "ENV load average after: %s%n", MachineCpu.loadAverage());
    }

    /** One raw TCP stream, node 0 → node 1; returns its median throughput in GB/s. */
    private static double loopback(Options o, String when, int spanMib, List<String> results) throws Exception {
        return raw(o, "loopback", "streams=1 when=" + when, List.of("send", "recv"), spanMib, "gbs", results);
    }

    /** n raw streams in a ring, every node sending and receiving at once. */
    private static void rawRing(Options o, int n, List<String> results) throws Exception {
        List<String> roles = new ArrayList<>();
        for (int r = 0; r < n; r++) roles.add("both");
        raw(o, "raw_ring", "ranks=" + n, roles, o.spanMib(), "busbw", results);
    }

    /**
     * Runs one {@link LoopbackNode} per role; the first transfer is the warm-up. Every link carries
     * the transfer's bytes in the span, so for a ring this per-link rate is what bus bandwidth measures.
     */
    private static double raw(Options o, String kind, String what, List<String> roles, int spanMib, String rate,
                              List<String> results) throws Exception {
        long bytes = (long) o.loopbackMib() << 20;
        List<List<String>> args = new ArrayList<>();
        for (int r = 0; r < roles.size(); r++) {
            args.add(List.of(String.valueOf(r), String.valueOf(roles.size()), roles.get(r), String.valueOf(bytes),
                    String.valueOf(o.loopbackTransfers() + 1), String.valueOf(o.writeKib()), String.valueOf(o.readKib()),
                    String.valueOf(spanMib)));
        }
        String name = kind + "-" + what.replaceAll("[^a-z0-9]+", "-") + "-span" + spanMib;
        Part part = runPart(name, LoopbackNode.class, args, o.logs());
        Spans spans = part.spans().get("raw");
        spans.bounds.remove(0);
        spans.cpuMs.remove(0);
        StepTimes t = spans.times(name);
        String buffer = spanMib == 0 ? "one-" + o.writeKib() + "KiB-block" : spanMib + "MiB";
        String row = String.format(Locale.ROOT, "RESULT %s %s buffer=%s bytes=%d write_kib=%d read_kib=%d transfers=%d"
                        + " %s_median=%.2f %s_min=%.2f %s_max=%.2f cores=%.2f cpu_ms_median=%.1f%s", kind, what, buffer, bytes,
                o.writeKib(), o.readKib(), t.count(), rate, gbs(bytes, t.median()), rate, gbs(bytes, t.max()), rate,
                gbs(bytes, t.min()), spans.cores(), spans.cpu(name).median(), kind.equals("loopback") && spanMib == 0
                        ? "" : " of_loopback=@REF");
        System.out.println(row);
        System.out.println(part.cpuLine(name));
        results.add(row);
        return gbs(bytes, t.median());
    }

    private static void allReduce(Options o, int n, int chunkKib, List<String> results) throws Exception {
        String sizes = o.sizesMib().stream().map(m -> m + ":" + o.iterationsFor(m)).collect(Collectors.joining(","));
        List<List<String>> args = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            args.add(List.of(String.valueOf(r), String.valueOf(n), String.valueOf(chunkKib), String.join(",", o.wires()),
                    String.valueOf(o.warmup()), sizes));
        }
        String name = "allreduce-" + n + "-chunk" + chunkKib;
        Part part = runPart(name, RingRank.class, args, o.logs());
        for (Map.Entry<String, Spans> e : part.spans().entrySet()) {
            String[] label = e.getKey().split("MiB/");
            long bytes = Long.parseLong(label[0]) << 20;
            double linkBytes = 2.0 * (n - 1) / n * bytes;
            StepTimes t = e.getValue().times(e.getKey());
            String row = String.format(Locale.ROOT, "RESULT allreduce ranks=%d mib=%s wire=%s chunk_kib=%d iterations=%d"
                            + " ms_median=%.2f busbw_median=%.2f busbw_min=%.2f busbw_max=%.2f cores=%.2f cpu_ms_median=%.1f"
                            + " of_loopback=@REF", n, label[0], label[1], chunkKib, t.count(), t.median(),
                    gbs(linkBytes, t.median()), gbs(linkBytes, t.max()), gbs(linkBytes, t.min()), e.getValue().cores(),
                    e.getValue().cpu(e.getKey()).median());
            System.out.println(row);
            results.add(row);
        }
        System.out.println(part.cpuLine(name));
    }

    private static Part runPart(String name, Class<?> main, List<List<String>> argsPerChild, Path logs) throws Exception {
        MachineCpu machine0 = MachineCpu.now();
        long own0 = CpuTime.process();
        long wall0 = System.nanoTime();
        List<ChildJvm> children = new ArrayList<>();
        Map<String, Spans> spans = new TreeMap<>();
        double childCpuMs = 0;
        try {
            for (int r = 0; r < argsPerChild.size(); r++) {
                children.add(ChildJvm.start(name + "-" + r, main, CHILD_JVM_ARGS, CHILD_ENV, argsPerChild.get(r), logs));
            }
            RingRendezvous.introduce(children, SecretHandshake.newSecret());
            long deadline = System.nanoTime() + PART_TIMEOUT.toNanos();
            for (ChildJvm child : children) {
                while (true) {
                    String line = child.nextLine("DONE", Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
                    String[] f = line.split(" ");
                    if (f[0].equals("SPAN")) {
                        spans.computeIfAbsent(f[1], k -> new Spans()).add(Integer.parseInt(f[2]), Long.parseLong(f[3]),
                                Long.parseLong(f[4]), Double.parseDouble(f[5]));
                    } else if (f[0].equals("DONE")) {
                        childCpuMs += Double.parseDouble(f[1]);
                        break;
                    } else if (!f[0].equals("JOINED")) {
                        System.out.println("[" + child.name() + "] " + line);
                    }
                }
            }
            for (ChildJvm child : children) child.awaitSuccess(Duration.ofSeconds(30));
        } finally {
            for (ChildJvm child : children) child.close();
        }
        double ownCpu = childCpuMs / 1e3 + (CpuTime.process() - own0) / 1e9;
        return new Part(spans, (System.nanoTime() - wall0) / 1e9, ownCpu, MachineCpu.now().since(machine0));
    }

    /**
     * How fast one core copies between two direct buffers of {@code mib} MiB (main memory) and within
     * one 64 KiB block (cache), by CPU time: every TCP byte over loopback is copied twice, so this bounds
     * what a stream from and into main memory can reach.
     */
    private static String memoryCopy(int mib) {
        int bytes = Math.max(mib, 64) << 20;
        java.nio.ByteBuffer from = java.nio.ByteBuffer.allocateDirect(bytes);
        java.nio.ByteBuffer to = java.nio.ByteBuffer.allocateDirect(bytes);
        java.nio.ByteBuffer block = java.nio.ByteBuffer.allocateDirect(64 << 10);
        java.nio.ByteBuffer blockCopy = java.nio.ByteBuffer.allocateDirect(64 << 10);
        double[] memory = new double[5];
        double[] cache = new double[5];
        for (int r = 0; r < memory.length; r++) {
            long c0 = CpuTime.thread();
            to.clear().put(from.clear());
            long c1 = CpuTime.thread();
            for (int i = 0; i < bytes / block.capacity(); i++) blockCopy.clear().put(block.clear());
            long c2 = CpuTime.thread();
            memory[r] = (c1 - c0) / 1e6;
            cache[r] = (c2 - c1) / 1e6;
        }
        String row = String.format(Locale.ROOT, "RESULT memcpy bytes=%d main_memory_gbs=%.1f cached_64KiB_gbs=%.1f", bytes,
                gbs(bytes, new StepTimes("memcpy", memory).median()), gbs(bytes, new StepTimes("cached", cache).median()));
        System.out.println(row);
        return row;
    }

    private static double gbs(double bytes, double ms) {
        return bytes / (ms / 1e3) / 1e9;
    }

    private static double busbwMedian(String row) {
        for (String field : row.split(" ")) {
            if (field.startsWith("busbw_median=") || field.startsWith("gbs_median=")) {
                return Double.parseDouble(field.substring(field.indexOf('=') + 1));
            }
        }
        return Double.NaN;
    }

    private static void printEnvironment() throws IOException {
        String cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                .findFirst().map(l -> l.substring(l.indexOf(':') + 2)).orElse("?");
        System.out.printf(Locale.ROOT, "ENV java=%s cpus=%d cpu=\"%s\" load average before: %s%n",
                System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(), cpu, MachineCpu.loadAverage());
    }
}
