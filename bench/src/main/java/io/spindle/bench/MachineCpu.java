package io.spindle.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The whole machine's CPU time from {@code /proc/stat} (Linux), so a benchmark can tell whether other
 * processes competed for the cores while it measured: busy = user + nice + system + irq + softirq,
 * steal = time the hypervisor gave this VM's CPUs to someone else.
 */
record MachineCpu(double busySeconds, double stealSeconds) {
    /** USER_HZ: /proc/stat counts in 1/100 s on every Linux architecture Java runs on. */
    private static final double TICKS_PER_SECOND = 100.0;

    static MachineCpu now() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/stat"))) {
                if (!line.startsWith("cpu ")) continue;
                String[] f = line.trim().split("\\s+");
                double busy = Long.parseLong(f[1]) + Long.parseLong(f[2]) + Long.parseLong(f[3])
                        + Long.parseLong(f[6]) + Long.parseLong(f[7]);
                return new MachineCpu(busy / TICKS_PER_SECOND, Long.parseLong(f[8]) / TICKS_PER_SECOND);
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or an unexpected format: report nothing rather than a wrong figure
        }
        return new MachineCpu(Double.NaN, Double.NaN);
    }

    /** The 1-, 5- and 15-minute load averages as {@code uptime} shows them. */
    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "unknown (no /proc/loadavg)";
        }
    }

    /**
     * For a reading {@link #since} the start of a measurement: its wall time, the CPU time of the
     * benchmark's own JVMs and what every other process used meanwhile.
     */
    String cpuLine(String name, double wallSeconds, double ownCpuSeconds) {
        double others = Math.max(0, busySeconds - ownCpuSeconds);
        return String.format(Locale.ROOT, "CPU %s: %.1f s wall, benchmark JVMs %.1f core-s, other processes %.1f core-s"
                + " (%.2f cores on average), steal %.1f core-s", name, wallSeconds, ownCpuSeconds, others,
                others / wallSeconds, stealSeconds);
    }

    MachineCpu since(MachineCpu earlier) {
        return new MachineCpu(busySeconds - earlier.busySeconds, stealSeconds - earlier.stealSeconds);
    }
}
