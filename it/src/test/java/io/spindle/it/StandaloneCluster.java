package io.spindle.it;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A real Spark standalone cluster on this machine: a Master and Workers, each its own JVM started
 * from the Maven classpath (no Spark distribution: {@code SPARK_HOME} is a directory with an empty
 * {@code jars/}, and applications put the classpath on their executors with
 * {@code spark.executor.extraClassPath}). Workers launch executors as their child processes, which
 * is how a test finds an executor to kill. {@link #close()} stops every process it started,
 * executors included, whatever state the cluster is in.
 */
final class StandaloneCluster implements AutoCloseable {
    private static final long START_TIMEOUT_MS = 180_000;
    private static final String EXECUTOR_MAIN = "org.apache.spark.executor.CoarseGrainedExecutorBackend";

    private static final Pattern MASTER_URL = Pattern.compile("Starting Spark master at (spark://\\S+)");

    private final Path dir;
    private final Path sparkHome;
    private String masterUrl;
    private final List<Process> daemons = new ArrayList<>();
    private final List<Path> logs = new ArrayList<>();
    private final List<Process> workers = new ArrayList<>();
    /** Stops the cluster if the test JVM is ended before close() (e.g. surefire's fork timeout). */
    private final Thread shutdownHook = new Thread(this::stopProcesses, "stop-standalone-cluster");

    private StandaloneCluster(Path dir) throws IOException {
        this.dir = dir;
        this.sparkHome = Files.createDirectories(dir.resolve("spark-home"));
        Files.createDirectories(sparkHome.resolve("jars"));
    }

    /** Starts a Master and {@code workers} Workers with {@code coresPerWorker} cores each; waits until all registered. */
    static StandaloneCluster start(Path dir, int workers, int coresPerWorker) throws IOException, InterruptedException {
        StandaloneCluster cluster = new StandaloneCluster(dir);
        Runtime.getRuntime().addShutdownHook(cluster.shutdownHook);
        try {
            // a free port now may be taken by the time the Master binds, and Spark then moves to the next
            // one: the URL is read from the Master's log, not assumed
            Path masterLog = cluster.launch("master", "org.apache.spark.deploy.master.Master",
                    List.of("--host", "127.0.0.1", "--port", String.valueOf(freePort()), "--webui-port", "0"));
            Matcher url = MASTER_URL.matcher(cluster.awaitLine(masterLog, "I have been elected leader"));
            if (!url.find()) throw new IllegalStateException("no master URL in " + masterLog);
            cluster.masterUrl = url.group(1);
            List<Path> workerLogs = new ArrayList<>();
            for (int i = 0; i < workers; i++) {
                Path workDir = Files.createDirectories(dir.resolve("worker-" + i));
                workerLogs.add(cluster.launch("worker-" + i, "org.apache.spark.deploy.worker.Worker",
                        List.of("--host", "127.0.0.1", "--cores", String.valueOf(coresPerWorker), "--memory", "2g",
                                "--work-dir", workDir.toString(), "--webui-port", "0", cluster.masterUrl())));
                cluster.workers.add(cluster.daemons.get(cluster.daemons.size() - 1));
            }
            for (Path log : workerLogs) cluster.awaitLine(log, "Successfully registered with master");
            return cluster;
        } catch (IOException | InterruptedException | RuntimeException | Error e) {
            System.err.println(cluster.logs());
            cluster.close();
            throw e;
        }
    }

    String masterUrl() {
        return masterUrl;
    }

    /**
     * spark-submit options that make an application run on this cluster: the classpath and JVM flags
     * for its executors, one core and a small heap each, and addresses on the loopback interface.
     */
    List<String> submitOptions() throws IOException {
        return List.of("--master", masterUrl(), "--deploy-mode", "client",
                "--conf", "spark.executor.extraClassPath=" + SparkJvm.clusterClasspath(),
                "--conf", "spark.executor.extraJavaOptions=" + String.join(" ", SparkJvm.OPENS),
                "--conf", "spark.executor.cores=1", "--conf", "spark.executor.memory=768m",
                "--conf", "spark.executorEnv.OMP_NUM_THREADS=1", "--conf", "spark.executorEnv.SPARK_LOCAL_IP=127.0.0.1",
                "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.ui.enabled=false");
    }

    /**
     * Executor JVMs running now (children of the Workers) of the application whose driver listens on
     * {@code driverPort} (their command line holds the driver's URL): executors of an application that
     * just ended may still be exiting.
     */
    List<ProcessHandle> executors(int driverPort) {
        return executors("@127.0.0.1:" + driverPort + " ");
    }

    private List<ProcessHandle> executors(String commandLinePart) {
        List<ProcessHandle> out = new ArrayList<>();
        for (Process worker : workers) {
            worker.descendants().filter(p -> isExecutor(p, commandLinePart)).forEach(out::add);
        }
        return out;
    }

    /**
     * Reads {@code /proc/PID/cmdline}: {@link ProcessHandle.Info} gives no arguments for a command
     * line longer than 4 KiB, and an executor's classpath alone is longer.
     */
    private static boolean isExecutor(ProcessHandle p, String commandLinePart) {
        try {
            byte[] cmdline = Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "cmdline"));
            // /proc separates the arguments with NUL bytes
            String args = new String(cmdline, StandardCharsets.UTF_8).replace('\0', ' ');
            return p.isAlive() && args.contains(EXECUTOR_MAIN) && args.contains(commandLinePart);
        } catch (IOException e) {
            return false; // the process has just exited
        }
    }

    /** The daemons' logs and every executor's stderr, for a failure message. */
    String logs() {
        StringBuilder sb = new StringBuilder();
        List<Path> all = new ArrayList<>(logs);
        try (Stream<Path> files = Files.walk(dir)) {
            files.filter(p -> p.getFileName().toString().equals("stderr")).sorted().forEach(all::add);
        } catch (IOException e) {
            sb.append("(cannot list executor logs: ").append(e.getMessage()).append(")\n");
        }
        for (Path log : all) {
            sb.append("==== ").append(dir.relativize(log)).append(" (last 60 lines)\n")
                    .append(SparkJvm.tail(log, 60)).append('\n');
        }
        return sb.toString();
    }

    private Path launch(String name, String mainClass, List<String> args) throws IOException {
        Path log = dir.resolve(name + ".log");
        ProcessBuilder pb = new ProcessBuilder(SparkJvm.command(List.of("-Xmx256m",
                // the standalone REST submission server would take fixed port 6066; nothing here uses it
                "-Dspark.master.rest.enabled=false"), mainClass, args))
                .redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> env = pb.environment();
        env.put("SPARK_HOME", sparkHome.toString());
        env.put("SPARK_SCALA_VERSION", "2.13");
        env.put("SPARK_LOCAL_IP", "127.0.0.1");
        logs.add(log);
        daemons.add(pb.start());
        return log;
    }

    /** Waits for {@code text} in {@code log} and returns the log's content. */
    private String awaitLine(Path log, String text) throws IOException, InterruptedException {
        long deadline = System.currentTimeMillis() + START_TIMEOUT_MS;
        while (System.currentTimeMillis() < deadline) {
            String content = Files.exists(log) ? new String(Files.readAllBytes(log), StandardCharsets.UTF_8) : "";
            if (content.contains(text)) return content;
            for (Process p : daemons) {
                if (!p.isAlive()) throw new IllegalStateException("a cluster process exited with " + p.exitValue());
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("no \"" + text + "\" in " + log + " within " + START_TIMEOUT_MS / 1000 + " s");
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() {
        stopProcesses();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // the JVM is already shutting down and runs the hook itself
        }
    }

    /** Executors first (a Worker that is killed first would orphan them), then Workers, then the Master. */
    private synchronized void stopProcesses() {
        List<ProcessHandle> children = new ArrayList<>();
        for (Process worker : workers) worker.descendants().forEach(children::add);
        children.forEach(ProcessHandle::destroyForcibly);
        for (int i = daemons.size() - 1; i >= 0; i--) daemons.get(i).destroy();
        for (Process p : daemons) {
            try {
                if (!p.waitFor(20, TimeUnit.SECONDS)) p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        for (ProcessHandle c : children) {
            try {
                c.onExit().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                // already forced; nothing more a test can do about a process that will not exit
            }
        }
    }
}
