package io.spindle.bench;

import org.nd4j.linalg.factory.Nd4j;

import java.lang.management.ManagementFactory;

/** Prints what a benchmark ran on, so a number in the docs can be traced to its conditions. */
final class BenchEnvironment {
    private BenchEnvironment() {}

    static void print() {
        Runtime rt = Runtime.getRuntime();
        System.out.printf("ENV java=%s cpus=%d load=%.2f OMP_NUM_THREADS=%s OPENBLAS_NUM_THREADS=%s "
                        + "nd4j.maxThreads=%d nd4j.maxMasterThreads=%d%n",
                System.getProperty("java.version"), rt.availableProcessors(),
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
                System.getenv("OMP_NUM_THREADS"), System.getenv("OPENBLAS_NUM_THREADS"),
                Nd4j.getEnvironment().maxThreads(), Nd4j.getEnvironment().maxMasterThreads());
    }
}
