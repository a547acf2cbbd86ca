package io.spindle.spark.memory;

import io.spindle.spark.config.ConfigLoader;
import io.spindle.spark.config.SpindleConfig;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertTrue;

class RankMemoryEstimateTest {
    static SpindleConfig tiny(String... overrides) {
        return ConfigLoader.fromText("model.flavor = tiny", List.of(overrides));
    }

    /**
     * ND4J allocates its buffers in its native library, outside what the JVM or JavaCPP count, so
     * this measures the resident memory (VmRSS) of a fresh JVM ({@link RankMemoryProbe}: in a JVM
     * that already ran other tests, freed native memory is reused and the growth reads low). Its
     * growth from before the model exists to the end of each phase of two training steps must stay
     * within the estimate, and the estimate must not be wildly above it (it would refuse runs that fit).
     */
    @Test
    void theEstimateCoversWhatATrainingStepAllocates() throws Exception {
        SpindleConfig config = tiny(RankMemoryProbe.SETTINGS);
        Process probe = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), RankMemoryProbe.class.getName())
                .redirectErrorStream(true).start();
        String output = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(probe.waitFor(5, TimeUnit.MINUTES) && probe.exitValue() == 0, output);
        Matcher m = Pattern.compile("peak_rss_growth_bytes=(\\d+)").matcher(output);
        assertTrue(m.find(), output);
        long peak = Long.parseLong(m.group(1));
        RankMemoryEstimate estimate = RankMemoryEstimate.of(config);
        System.out.printf("tiny, batch 32 x 128: measured RSS growth %d MiB, estimate %s%n", peak >> 20, estimate.describe());
        assertTrue(peak > 1 << 20, "RSS grew by " + peak + " bytes: the measurement does not measure");
        assertTrue(estimate.total() >= peak, "estimate " + estimate.describe() + " below measured " + (peak >> 20) + " MiB");
        assertTrue(estimate.total() <= 4 * peak, "estimate " + estimate.describe() + " over 4x the measured "
                + (peak >> 20) + " MiB");
    }

    static long residentBytes() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) << 10;
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        throw new IllegalStateException("/proc/self/status has no VmRSS line");
    }
}
