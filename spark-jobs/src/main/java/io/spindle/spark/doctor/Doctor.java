package io.spindle.spark.doctor;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.status.api.v1.ExecutorSummary;
import scala.jdk.javaapi.CollectionConverters;

import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

/**
 * {@code spindle doctor}: the host checks on the driver, whether the master answers, and the same
 * checks inside every executor the application gets, as one table. Every step is bounded by a
 * timeout, so a broken cluster gives a FAIL line instead of a hang.
 */
public final class Doctor {
    private Doctor() {}

    public static List<Check> run(String master, String runDir, Duration timeout, PrintStream progress) {
        List<Check> checks = new ArrayList<>(HostChecks.run("driver", runDir));
        Check reach = reachMaster(master, timeout);
        checks.add(reach);
        if (reach.status() == Check.Status.FAIL) return checks;
        progress.println("starting a Spark application on " + master + " to check the executors ...");
        SparkConf conf = new SparkConf().setAppName("spindle doctor").setMaster(master)
                .setIfMissing("spark.ui.enabled", "false");
        try (SparkSession spark = SparkSession.builder().config(conf).getOrCreate()) {
            checks.addAll(executors(spark, runDir, timeout, progress));
        } catch (Exception e) {
            checks.add(Check.fail("driver", "spark", "could not run a Spark job on " + master + ": " + e.getMessage()));
        }
        return checks;
    }

    /** A spark:// master is probed with a plain TCP connection first: Spark's own client retries for a minute. */
    static Check reachMaster(String master, Duration timeout) {
        if (master.startsWith("local")) return Check.ok("driver", "master", master + " (embedded, in this JVM)");
        if (!master.startsWith("spark://")) {
            return Check.ok("driver", "master", master + ": reached through its cluster manager when the application starts");
        }
        List<String> failed = new ArrayList<>();
        for (String hostPort : master.substring("spark://".length()).split(",")) {
            URI uri = URI.create("spark://" + hostPort);
            int port = uri.getPort() < 0 ? 7077 : uri.getPort();
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(uri.getHost(), port), (int) Math.min(timeout.toMillis(), 10_000));
                return Check.ok("driver", "master", uri.getHost() + ":" + port + " accepts connections");
            } catch (Exception e) {
                failed.add(uri.getHost() + ":" + port + " (" + e.getMessage() + ")");
            }
        }
        return Check.fail("driver", "master", "cannot connect to " + String.join(", ", failed) + ": check the master URL"
                + " (spark://HOST:PORT as the master's log prints it), that the master runs, and firewalls");
    }

    private static List<Check> executors(SparkSession spark, String runDir, Duration timeout, PrintStream progress)
            throws InterruptedException {
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        int slots = awaitSlots(spark, timeout);
        if (slots == 0) {
            return List.of(Check.fail("driver", "executors", "no executor registered within " + timeout.toSeconds()
                    + " s: check that the workers have free cores and memory for spark.executor.memory/cores"));
        }
        progress.println(slots + " task slot(s); running the checks in every executor ...");
        sc.setJobGroup("spindle-doctor", "spindle doctor", true);
        var future = sc.parallelize(IntStream.range(0, slots).boxed().toList(), slots)
                .mapPartitions(new ExecutorProbe(runDir)).collectAsync();
        List<Check> found;
        try {
            found = future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            sc.cancelJobGroup("spindle-doctor");
            return List.of(Check.fail("driver", "executors", "the check job did not finish within " + timeout.toSeconds()
                    + " s: executors are registered but do not run tasks (see their logs)"));
        } catch (java.util.concurrent.ExecutionException e) {
            return List.of(Check.fail("driver", "executors", "the check job failed: " + e.getCause().getMessage()));
        }
        // several tasks may land on one executor: keep each executor's first set of lines
        Map<String, Check> byExecutorAndWhat = new LinkedHashMap<>();
        for (Check c : found) byExecutorAndWhat.putIfAbsent(c.where() + "\u0000" + c.what(), c);
        return new ArrayList<>(byExecutorAndWhat.values());
    }

    private static int awaitSlots(SparkSession spark, Duration timeout) throws InterruptedException {
        if (spark.sparkContext().isLocal()) return 1;
        long deadline = System.nanoTime() + timeout.toNanos();
        int taskCpus = Math.max(1, spark.sparkContext().getConf().getInt("spark.task.cpus", 1));
        while (true) {
            int slots = 0;
            for (ExecutorSummary e : CollectionConverters.asJava(spark.sparkContext().statusStore().executorList(true))) {
                if (!e.id().equals("driver")) slots += e.totalCores() / taskCpus;
            }
            if (slots > 0 || System.nanoTime() > deadline) return slots;
            Thread.sleep(500);
        }
    }

    /** The table: one line per check, columns padded. */
    public static String table(List<Check> checks) {
        int w = Math.max(5, checks.stream().mapToInt(c -> c.where().length()).max().orElse(5));
        int k = Math.max(5, checks.stream().mapToInt(c -> c.what().length()).max().orElse(5));
        StringBuilder out = new StringBuilder(String.format("%-" + w + "s  %-" + k + "s  %-4s  %s%n", "where", "check", "", "detail"));
        for (Check c : checks) {
            out.append(String.format("%-" + w + "s  %-" + k + "s  %-4s  %s%n", c.where(), c.what(), c.status(), c.detail()));
        }
        long failed = checks.stream().filter(c -> c.status() == Check.Status.FAIL).count();
        long warned = checks.stream().filter(c -> c.status() == Check.Status.WARN).count();
        out.append(checks.size() - failed - warned).append(" ok, ").append(warned).append(" warning(s), ").append(failed)
                .append(" failed\n");
        return out.toString();
    }
}
