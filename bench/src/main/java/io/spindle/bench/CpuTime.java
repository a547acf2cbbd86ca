package io.spindle.bench;

import java.lang.management.ManagementFactory;

/** CPU time, user + system, so including the kernel's TCP work done in this process's syscalls. */
final class CpuTime {
    private CpuTime() {}

    /** This thread's CPU time in nanoseconds, at nanosecond resolution. */
    static long thread() {
        return ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
    }

    /** This JVM's CPU time (all threads) in nanoseconds; Linux counts it in 10 ms ticks. */
    static long process() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }
}
