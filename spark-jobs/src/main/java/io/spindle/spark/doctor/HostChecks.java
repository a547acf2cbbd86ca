package io.spindle.spark.doctor;

import io.spindle.optim.coat.CoatQuantizer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * The checks that run in any Spindle JVM, the driver's and every executor's: the Java version,
 * ND4J's native backend (loaded and computing a product through BLAS), memory, the OpenMP thread
 * count against the cores, COAT's codec (SIMD or scalar), and write access to the run directory. Each problem says what to do.
 */
public final class HostChecks {
    static final int MIN_JAVA = 17;

    private HostChecks() {}

    public static List<Check> run(String where, String runDir) {
        List<Check> out = new ArrayList<>();
        out.add(java(where));
        out.add(nd4j(where));
        out.add(memory(where));
        out.add(threads(where));
        out.add(coatCodec(where));
        out.add(runDirectory(where, runDir));
        return out;
    }

    static Check java(String where) {
        int feature = Runtime.version().feature();
        String detail = "Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ") on "
                + System.getProperty("os.name") + " " + System.getProperty("os.arch");
        if (feature < MIN_JAVA) {
            return Check.fail(where, "java", detail + ": Spindle needs Java " + MIN_JAVA + " or newer; set JAVA_HOME"
                    + " (on executors: spark.executorEnv.JAVA_HOME) to a Java " + MIN_JAVA + " installation");
        }
        if (!System.getProperty("os.arch").equals("amd64") || !System.getProperty("os.name").startsWith("Linux")) {
            return Check.warn(where, "java", detail + ": the application jar carries ND4J's linux-x86_64 natives only");
        }
        return Check.ok(where, "java", detail);
    }

    static Check nd4j(String where) {
        try {
            INDArray a = Nd4j.createFromArray(new float[][] {{1, 2}, {3, 4}});
            float v = a.mmul(a).getFloat(1, 1);   // 3*2 + 4*4
            if (v != 22f) {
                return Check.fail(where, "nd4j", "a 2x2 product through BLAS gave " + v + " instead of 22: the native"
                        + " BLAS is broken; check OPENBLAS_* settings or reinstall");
            }
            return Check.ok(where, "nd4j", Nd4j.getBackend().getClass().getSimpleName() + ", BLAS "
                    + Nd4j.factory().blas().getBlasVendor() + ", " + Nd4j.getEnvironment().maxMasterThreads()
                    + " OpenMP thread(s)");
        } catch (Throwable e) {   // UnsatisfiedLinkError, NoClassDefFoundError, ExceptionInInitializerError
            return Check.fail(where, "nd4j", "ND4J's native backend does not load (" + e + "). Submit the application"
                    + " jar with natives (spindle-spark-jobs-*-spark.jar, see docs/running-on-spark.md) and check that"
                    + " the host is linux-x86_64 with glibc; nothing has to be installed on executors");
        }
    }

    static Check memory(String where) {
        long heap = Runtime.getRuntime().maxMemory();
        long physical = -1;
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            physical = os.getTotalMemorySize();
        }
        String detail = String.format(Locale.ROOT, "heap max %s, machine %s", gib(heap), physical < 0 ? "unknown" : gib(physical));
        if (physical > 0 && heap > 0.9 * physical) {
            return Check.warn(where, "memory", detail + ": the heap leaves almost nothing for ND4J's off-heap buffers;"
                    + " lower the heap (spark.executor.memory / -Xmx)");
        }
        return Check.ok(where, "memory", detail);
    }

    static Check threads(String where) {
        int cores = Runtime.getRuntime().availableProcessors();
        String omp = System.getenv("OMP_NUM_THREADS");
        if (omp == null) {
            return Check.warn(where, "threads", cores + " core(s), OMP_NUM_THREADS unset: ND4J starts one OpenMP thread"
                    + " per core in every rank; with several ranks per machine set spark.executorEnv.OMP_NUM_THREADS"
                    + " to spark.task.cpus");
        }
        return Check.ok(where, "threads", cores + " core(s), OMP_NUM_THREADS=" + omp);
    }

    /** COAT's quantizer: SIMD where the JVM has the Vector API module, else scalar (same results, slower). */
    static Check coatCodec(String where) {
        String codec = CoatQuantizer.codecDescription();
        if (!CoatQuantizer.simdCodec()) {
            return Check.warn(where, "coat", codec + ": optim.state=coat quantizes 2.2x faster with"
                    + " --add-modules=jdk.incubator.vector in the JVM options (spark.driver.extraJavaOptions and"
                    + " spark.executor.extraJavaOptions); results are the same either way");
        }
        return Check.ok(where, "coat", codec + " (Vector API)");
    }

    static Check runDirectory(String where, String runDir) {
        Path probe = new Path(runDir, ".spindle-doctor-" + UUID.randomUUID());
        try {
            FileSystem fs = probe.getFileSystem(new Configuration());
            try (FSDataOutputStream out = fs.create(probe, false)) {
                out.write("probe".getBytes(StandardCharsets.UTF_8));
            }
            fs.delete(probe, false);
            return Check.ok(where, "run dir", "wrote and deleted a file in " + fs.makeQualified(new Path(runDir)));
        } catch (Exception e) {
            return Check.fail(where, "run dir", "cannot write to " + runDir + " (" + e.getMessage() + "): every rank"
                    + " reads checkpoints and rank 0 writes them there; use a shared Hadoop URI (hdfs://...) that this"
                    + " user can write");
        }
    }

    private static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
    }
}
