package io.spindle.spark.train;

import io.spindle.spark.config.ConfigException;
import io.spindle.spark.config.SpindleConfig;
import io.spindle.spark.memory.ExecutorMemory;
import io.spindle.spark.memory.OffHeapCheck;
import io.spindle.spark.memory.RankMemoryEstimate;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.status.api.v1.ExecutorSummary;
import scala.jdk.javaapi.CollectionConverters;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the training stage needs from the cluster, checked before any work so that a run that cannot
 * start says why at once: a barrier stage runs all its tasks at the same time, so the cluster must
 * offer world = dp × tp task slots, and Spark refuses barrier stages under dynamic allocation.
 */
public final class ClusterPreflight {
    private static final Pattern LOCAL_MASTER = Pattern.compile("local(?:\\[(\\d+|\\*)(?:,\\d+)?])?");
    private static final long POLL_MS = 500;

    private ClusterPreflight() {}

    /**
     * Every check, for the first launch: dynamic allocation off, and enough slots (a local master's
     * threads, or on a cluster the registered executors' cores, waiting up to
     * {@code parallel.timeoutSeconds} for executors to register).
     */
    static void check(SparkContext sc, SpindleConfig.Parallel parallel, PrintStream console)
            throws InterruptedException {
        check(sc, parallel.world(), parallel.timeoutSeconds(), console);
    }

    /** The same checks for a barrier stage of {@code world} tasks, waiting up to {@code timeoutSeconds}. */
    public static void check(SparkContext sc, int world, int timeoutSeconds, PrintStream console)
            throws InterruptedException {
        refuseDynamicAllocation(sc.getConf(), sc.isLocal());
        if (sc.isLocal()) {
            checkLocalSlots(sc.master(), world);
            return;
        }
        Duration wait = Duration.ofSeconds(timeoutSeconds);
        Slots slots = awaitSlots(sc, world, wait, console);
        if (slots.total() < world) throw tooFewSlots(slots, world, wait);
    }

    /**
     * The ranks' estimated off-heap memory against their executors' container limit (YARN,
     * Kubernetes), after {@link #check} so the executors are registered: the busiest executor runs
     * up to cores / spark.task.cpus ranks.
     */
    static void checkMemory(SparkContext sc, SpindleConfig config) {
        int world = config.parallel().world();
        int ranksPerExecutor = world;
        if (!sc.isLocal()) {
            int taskCpus = Math.max(1, sc.getConf().getInt("spark.task.cpus", 1));
            int most = 1;
            for (ExecutorSummary e : CollectionConverters.asJava(sc.statusStore().executorList(true))) {
                if (!e.id().equals("driver")) most = Math.max(most, e.totalCores() / taskCpus);
            }
            ranksPerExecutor = Math.min(world, most);
        }
        OffHeapCheck.check(RankMemoryEstimate.of(config), ranksPerExecutor,
                ExecutorMemory.of(sc.getConf(), sc.master()));
    }

    /** Spark would refuse the barrier stage itself, but only when it is submitted, after data preparation. */
    static void refuseDynamicAllocation(SparkConf conf, boolean local) {
        // Spark ignores dynamic allocation on a local master, and so does this check
        if (!local && conf.getBoolean("spark.dynamicAllocation.enabled", false)) {
            throw new ConfigException("spark.dynamicAllocation.enabled=true: training runs as one Spark barrier stage,"
                    + " which needs all parallel.dp × parallel.tp task slots at once and which Spark refuses under"
                    + " dynamic allocation; set spark.dynamicAllocation.enabled=false for this application (e.g. --conf"
                    + " spark.dynamicAllocation.enabled=false, or spark.conf { \"spark.dynamicAllocation.enabled\" ="
                    + " \"false\" } in the config) and give it fixed executors");
        }
    }

    /**
     * A barrier stage needs a task slot per rank at once; a local master with fewer threads would
     * make Spark wait and then fail the stage, so refuse it here with the fix.
     */
    static void checkLocalSlots(String master, int world) {
        Matcher m = LOCAL_MASTER.matcher(master);
        if (!m.matches()) return;
        String threads = m.group(1);
        int slots = threads == null ? 1
                : threads.equals("*") ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(threads);
        if (slots < world) {
            throw new ConfigException("spark.master=" + master + " runs " + slots + " task(s) at a time but the mesh"
                    + " needs " + world + " ranks at once (parallel.dp × parallel.tp); set spark.master=\"local["
                    + world + "]\" or lower parallel.dp or parallel.tp");
        }
    }

    /** The task slots of the executors registered now, and a description of each executor for messages. */
    record Slots(int total, List<String> executors, int taskCpus) {}

    /**
     * Polls until the registered executors offer {@code world} slots or {@code wait} has passed, and
     * returns what was there last. Executors of a standalone or YARN application register some
     * seconds after the driver starts, and a replacement for a lost one takes as long again.
     */
    static Slots awaitSlots(SparkContext sc, int world, Duration wait, PrintStream console)
            throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        Slots slots = registeredSlots(sc);
        if (slots.total() >= world) return slots;
        console.printf("Waiting up to %d s for executors with %d task slot(s); %d registered so far%n",
                wait.toSeconds(), world, slots.total());
        while (slots.total() < world && System.nanoTime() < deadline) {
            Thread.sleep(POLL_MS);
            slots = registeredSlots(sc);
        }
        return slots;
    }

    /**
     * Slots from the executors' own core counts (what the status store behind Spark's UI holds: the
     * public {@code SparkExecutorInfo} has no core count, and spark.executor.cores is unset when a
     * standalone executor takes all of its worker's cores) divided by spark.task.cpus.
     */
    static Slots registeredSlots(SparkContext sc) {
        int taskCpus = sc.getConf().getInt("spark.task.cpus", 1);
        List<Integer> cores = new ArrayList<>();
        List<String> described = new ArrayList<>();
        for (ExecutorSummary e : CollectionConverters.asJava(sc.statusStore().executorList(true))) {
            if (e.id().equals("driver")) continue;
            cores.add(e.totalCores());
            described.add("executor " + e.id() + " on " + e.hostPort() + " with " + e.totalCores() + " core(s)");
        }
        return new Slots(slots(cores, taskCpus), described, taskCpus);
    }

    /** Each executor runs cores / spark.task.cpus tasks at once (the remainder is idle). */
    static int slots(List<Integer> executorCores, int taskCpus) {
        if (taskCpus < 1) {
            throw new ConfigException("spark.task.cpus=" + taskCpus + " must be at least 1");
        }
        int total = 0;
        for (int cores : executorCores) total += cores / taskCpus;
        return total;
    }

    static ConfigException tooFewSlots(Slots slots, int world, Duration waited) {
        String executors = slots.executors().isEmpty() ? "no executor registered"
                : String.join(", ", slots.executors());
        return new ConfigException("the cluster offers " + slots.total() + " task slot(s) after waiting "
                + waited.toSeconds() + " s (" + executors + "; spark.task.cpus=" + slots.taskCpus() + ") but"
                + " training runs parallel.dp × parallel.tp = " + world + " ranks as one barrier stage, which needs "
                + world + " slots at once; give the application more executors or cores (spark.executor.instances,"
                + " spark.cores.max, spark.executor.cores) or lower parallel.dp or parallel.tp. Nothing was started.");
    }
}
