package io.spindle.bench;

import io.spindle.parallel.comm.TimingCommunicator;
import io.spindle.parallel.net.SecretHandshake;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Training step time of one model at TP=1 and at TP=2 on this machine, and for TP=2 the share of
 * each rank's step spent inside collectives. Every setup trains the same config with the same
 * {@code RankTrainer} in child JVMs ({@link TpStepRank}), started with this JVM's classpath and
 * options:
 * <ul>
 *   <li>{@code tp1-1thread}: one rank, OMP_NUM_THREADS=1 (one core);</li>
 *   <li>{@code tp1-2threads}: one rank, OMP_NUM_THREADS=2 (both cores, what bin/spindle gives a lone rank here);</li>
 *   <li>{@code tp2}: two ranks in two JVMs, one {@code TcpRingCommunicator} ring over loopback with the job
 *       secret, OMP_NUM_THREADS=1 each (a core each).</li>
 * </ul>
 *
 * <p>A step is timed on every rank from the start of its forward pass to the end of its optimizer
 * update ({@link StepClock}); the first {@code --warmup} steps are dropped. The TP=2 group's step
 * time is, step by step, the slower rank's. Communication share = time inside collectives (waiting
 * for the peer included) / step time, summed over the timed steps of one rank. Bytes per step are
 * those of the buffers the collectives covered, and what one rank sends over the ring for them
 * ({@link #sentPerRank}).
 *
 * <p>Usage: {@code TpStepBench [--conf conf/small.conf] [--steps 30] [--warmup 5] [--rounds 1]
 * [--logs DIR] [--set key=value]...}. With several rounds the setups run in alternating order
 * (A B C, C B A, ...) and the summary pools their steps. The dataset must be prepared at
 * {@code data.prepared}.
 */
public final class TpStepBench {
    private static final Duration SETUP_TIMEOUT = Duration.ofMinutes(20);

    /** One way to run the model: TP ranks, each a JVM with this many OpenMP (and layer) threads. */
    record Setup(String name, int tp, int threads) {}

    static final List<Setup> SETUPS = List.of(new Setup("tp1-1thread", 1, 1), new Setup("tp1-2threads", 1, 2),
            new Setup("tp2", 2, 1));

    record Options(String conf, int steps, int warmup, int rounds, Path logs, List<String> overrides) {
        static Options parse(String[] args) {
            Map<String, String> v = new LinkedHashMap<>(Map.of("--conf", "conf/small.conf", "--steps", "30",
                    "--warmup", "5", "--rounds", "1", "--logs", "bench/target/tp-step"));
            List<String> overrides = new ArrayList<>();
            for (int i = 0; i < args.length; i++) {
                if (args[i].equals("--set") && i + 1 < args.length) {
                    overrides.add(args[++i]);
                } else if (v.containsKey(args[i]) && i + 1 < args.length) {
                    v.put(args[i], args[++i]);
                } else {
                    throw new IllegalArgumentException("unknown argument " + args[i] + "; options: " + v.keySet()
                            + " and --set key=value, each with a value");
                }
            }
            Options o = new Options(v.get("--conf"), Integer.parseInt(v.get("--steps")), Integer.parseInt(v.get("--warmup")),
                    Integer.parseInt(v.get("--rounds")), Path.of(v.get("--logs")), List.copyOf(overrides));
            if (o.steps < 1 || o.warmup < 0 || o.rounds < 1) {
                throw new IllegalArgumentException("--steps and --rounds must be at least 1 and --warmup at least 0");
            }
            return o;
        }

        /** Child arguments: the config, then overrides that fix the step count and keep validation off the timed steps. */
        List<String> rankArgs(int tp, int rank) {
            int total = warmup + steps;
            List<String> args = new ArrayList<>(List.of(conf, String.valueOf(tp), String.valueOf(rank)));
            // the learning-rate warm-up does not change a step's work; 0 keeps it valid for any --steps
            for (String set : List.of("train.steps=" + total, "train.warmupSteps=0", "train.evalEvery=" + total,
                    "train.checkpointEvery=" + total, "train.evalBatches=1")) {
                args.add("--set");
                args.add(set);
            }
            for (String set : overrides) {
                args.add("--set");
                args.add(set);
            }
            return args;
        }
    }

    /** One rank's timed steps: wall time and per-collective totals, by step index. */
    record RankSteps(List<Long> wallNanos, List<Map<String, TimingCommunicator.Totals>> comm) {
        static RankSteps empty() {
            return new RankSteps(new ArrayList<>(), new ArrayList<>());
        }

        void add(RankSteps more) {
            wallNanos.addAll(more.wallNanos);
            comm.addAll(more.comm);
        }
    }

    public static void main(String[] args) throws Exception {
        Options o = Options.parse(args);
        System.out.printf(Locale.ROOT, "ENV java=%s cpus=%d conf=%s overrides=%s steps=%d warmup=%d rounds=%d load average: %s%n",
                System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(), o.conf(), o.overrides(),
                o.steps(), o.warmup(), o.rounds(), MachineCpu.loadAverage());
        Map<Setup, List<RankSteps>> pooled = new LinkedHashMap<>();
        Map<Setup, String> losses = new LinkedHashMap<>();
        for (int round = 0; round < o.rounds(); round++) {
            List<Setup> order = new ArrayList<>(SETUPS);
            if (round % 2 == 1) Collections.reverse(order);
            for (Setup s : order) {
                List<RankSteps> ranks = runSetup(o, s, round, losses);
                report("round " + (round + 1), s, ranks);
                List<RankSteps> all = pooled.computeIfAbsent(s, k -> new ArrayList<>());
                for (int r = 0; r < ranks.size(); r++) {
                    if (all.size() <= r) all.add(RankSteps.empty());
                    all.get(r).add(ranks.get(r));
                }
            }
        }
        System.out.println();
        for (Setup s : SETUPS) report("pooled", s, pooled.get(s));
        summary(pooled, losses);
        System.out.printf(Locale.ROOT, "ENV load average after: %s%n", MachineCpu.loadAverage());
    }

    /** Starts the setup's ranks, introduces them to each other (TP=2) and collects their timed steps. */
    private static List<RankSteps> runSetup(Options o, Setup s, int round, Map<Setup, String> losses) throws Exception {
        String name = s.name() + "-round" + (round + 1);
        System.out.printf(Locale.ROOT, "== %s: %d rank(s), OMP_NUM_THREADS=%d each; load average %s%n", name, s.tp(),
                s.threads(), MachineCpu.loadAverage());
        Map<String, String> env = Map.of("OMP_NUM_THREADS", String.valueOf(s.threads()),
                "OPENBLAS_NUM_THREADS", String.valueOf(s.threads()));
        List<String> jvmArgs = ManagementFactory.getRuntimeMXBean().getInputArguments();
        MachineCpu machine0 = MachineCpu.now();
        long own0 = CpuTime.process();
        long wall0 = System.nanoTime();
        double childCpuMs = 0;
        List<ChildJvm> children = new ArrayList<>();
        List<RankSteps> ranks = new ArrayList<>();
        try {
            for (int r = 0; r < s.tp(); r++) {
                children.add(ChildJvm.start(name + "-rank" + r, TpStepRank.class, jvmArgs, env, o.rankArgs(s.tp(), r), o.logs()));
            }
            if (s.tp() > 1) RingRendezvous.introduce(children, SecretHandshake.newSecret());
            long deadline = System.nanoTime() + SETUP_TIMEOUT.toNanos();
            for (ChildJvm child : children) {
                RankSteps steps = RankSteps.empty();
                while (true) {
                    String line = child.nextLine("DONE", Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
                    String[] f = line.split(" ");
                    if (f[0].equals("STEP")) {
                        if (Long.parseLong(f[1]) >= o.warmup()) {
                            steps.wallNanos().add(Long.parseLong(f[2]));
                            steps.comm().add(collectives(f));
                        }
                    } else if (f[0].equals("LOSS")) {
                        losses.put(s, "loss at step " + f[1] + " " + f[2]);
                    } else if (f[0].equals("DONE")) {
                        childCpuMs += Double.parseDouble(f[1]);
                        break;
                    } else {
                        System.out.println("[" + child.name() + "] " + line);
                    }
                }
                if (steps.wallNanos().size() != o.steps()) {
                    throw new IllegalStateException(child.name() + " reported " + steps.wallNanos().size()
                            + " timed steps, expected " + o.steps());
                }
                ranks.add(steps);
            }
            for (ChildJvm child : children) child.awaitSuccess(Duration.ofSeconds(60));
        } finally {
            for (ChildJvm child : children) child.close();
        }
        double ownCpu = childCpuMs / 1e3 + (CpuTime.process() - own0) / 1e9;
        System.out.println(MachineCpu.now().since(machine0).cpuLine(name, (System.nanoTime() - wall0) / 1e9, ownCpu));
        return ranks;
    }

    /** The {@code op=calls,nanos,bytes} fields of a STEP line. */
    private static Map<String, TimingCommunicator.Totals> collectives(String[] fields) {
        Map<String, TimingCommunicator.Totals> out = new TreeMap<>();
        for (int i = 3; i < fields.length; i++) {
            String[] kv = fields[i].split("=");
            String[] n = kv[1].split(",");
            out.put(kv[0], new TimingCommunicator.Totals(Long.parseLong(n[0]), Long.parseLong(n[1]), Long.parseLong(n[2])));
        }
        return out;
    }

    /** One RESULT line per rank: step time, time in collectives and its share, and per kind of collective calls and bytes. */
    private static void report(String label, Setup s, List<RankSteps> ranks) {
        for (int r = 0; r < ranks.size(); r++) {
            RankSteps rs = ranks.get(r);
            int n = rs.wallNanos().size();
            StepTimes wall = new StepTimes(s.name(), rs.wallNanos().stream().mapToDouble(w -> w / 1e6).toArray());
            StepTimes comm = new StepTimes(s.name(), rs.comm().stream()
                    .mapToDouble(c -> c.values().stream().mapToLong(TimingCommunicator.Totals::nanos).sum() / 1e6).toArray());
            double wallSum = rs.wallNanos().stream().mapToLong(Long::longValue).sum();
            Map<String, TimingCommunicator.Totals> perOp = new TreeMap<>();
            for (Map<String, TimingCommunicator.Totals> step : rs.comm()) {
                step.forEach((op, t) -> perOp.merge(op, t, TimingCommunicator.Totals::plus));
            }
            long commNanos = perOp.values().stream().mapToLong(TimingCommunicator.Totals::nanos).sum();
            StringBuilder ops = new StringBuilder();
            double sent = 0;
            for (Map.Entry<String, TimingCommunicator.Totals> e : perOp.entrySet()) {
                TimingCommunicator.Totals t = e.getValue();
                ops.append(String.format(Locale.ROOT, " %s_calls_per_step=%.1f %s_mib_per_step=%.2f %s_ms_per_step=%.1f",
                        e.getKey(), (double) t.calls() / n, e.getKey(), t.bytes() / (double) n / (1 << 20), e.getKey(),
                        t.nanos() / 1e6 / n));
                sent += sentPerRank(e.getKey(), t.bytes(), s.tp()) / n;
            }
            System.out.printf(Locale.ROOT, "RESULT tp_step %s setup=%s tp=%d threads_per_rank=%d rank=%d steps=%d"
                            + " step_ms_median=%.1f step_ms_p90=%.1f step_ms_min=%.1f step_ms_max=%.1f comm_ms_median=%.1f"
                            + " comm_share=%.1f%% sent_mib_per_step=%.2f%s%n", label.replace(' ', '-'), s.name(), s.tp(),
                    s.threads(), r, n, wall.median(), wall.p90(), wall.min(), wall.max(), comm.median(),
                    100.0 * commNanos / wallSum, sent / (1 << 20), ops);
        }
    }

    /**
     * Bytes one rank sends over the ring for collectives that covered {@code bytes} in all
     * (TcpRingCommunicator): an all-reduce is a reduce-scatter then an all-gather, each moving
     * (n−1)/n of the buffer through every rank; a broadcast's buffer passes n−1 links, (n−1)/n per
     * rank on average; float32 on the wire.
     */
    static double sentPerRank(String op, long bytes, int n) {
        double share = (n - 1.0) / n;
        return switch (op) {
            case TimingCommunicator.ALL_REDUCE -> 2 * share * bytes;
            case TimingCommunicator.REDUCE_SCATTER, TimingCommunicator.ALL_GATHER, TimingCommunicator.BROADCAST -> share * bytes;
            default -> 0;
        };
    }

    /** Group step time per setup (the slower rank's, step by step) and TP=2's speed-up over each TP=1 setup. */
    private static void summary(Map<Setup, List<RankSteps>> pooled, Map<Setup, String> losses) {
        Map<Setup, StepTimes> group = new LinkedHashMap<>();
        for (Setup s : SETUPS) {
            List<RankSteps> ranks = pooled.get(s);
            double[] ms = new double[ranks.get(0).wallNanos().size()];
            for (int i = 0; i < ms.length; i++) {
                for (RankSteps r : ranks) ms[i] = Math.max(ms[i], r.wallNanos().get(i) / 1e6);
            }
            group.put(s, new StepTimes(s.name(), ms));
            System.out.printf(Locale.ROOT, "SUMMARY %s step_ms_median=%.1f p90=%.1f steps=%d (%s)%n", s.name(),
                    group.get(s).median(), group.get(s).p90(), ms.length, losses.get(s));
        }
        Setup tp2 = SETUPS.get(2);
        for (Setup tp1 : SETUPS.subList(0, 2)) {
            System.out.printf(Locale.ROOT, "SUMMARY %s vs %s: %.2fx (median step %.1f ms vs %.1f ms)%n", tp2.name(),
                    tp1.name(), group.get(tp1).median() / group.get(tp2).median(), group.get(tp2).median(),
                    group.get(tp1).median());
        }
    }
}
