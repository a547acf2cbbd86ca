package io.spindle.spark.memory;

import io.spindle.layers.model.TransformerLM;
import io.spindle.optim.Optimizer;
import io.spindle.optim.ParamSlot;
import io.spindle.parallel.train.Optimizers;
import io.spindle.parallel.train.ParameterSlots;
import io.spindle.spark.config.ConfigLoader;
import io.spindle.spark.config.SpindleConfig;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;

class RankMemoryEstimateTest {
    private static SpindleConfig tiny(String... overrides) {
        return ConfigLoader.fromText("model.flavor = tiny", List.of(overrides));
    }

    /**
     * ND4J allocates its buffers in its native library, outside what the JVM or JavaCPP count, so
     * this measures the process's resident memory (VmRSS): its growth from before the model exists
     * to the end of each phase of two training steps (after forward every activation is alive;
     * after backward and the optimizer step gradients and state exist) must stay within the
     * estimate, and the estimate must not be wildly above it (it would refuse runs that fit).
     */
    @Test
    void theEstimateCoversWhatATrainingStepAllocates() {
        SpindleConfig config = tiny("train.batch=32", "train.seq=128");
        Nd4j.create(1);   // load the backend before measuring
        System.gc();
        long before = residentBytes();
        TransformerLM model = new TransformerLM(config.model(), 1);
        Optimizer optimizer = Optimizers.create(config.optim(), config.train());
        int tokens = config.train().batch() * config.train().seq();
        int[] in = new SplittableRandom(3).ints(tokens, 0, 256).toArray();
        int[] out = new SplittableRandom(4).ints(tokens, 0, 256).toArray();
        List<ParamSlot> slots = ParameterSlots.of(model.parameters());
        long peak = 0;
        for (int step = 0; step < 2; step++) {
            model.parameters().zeroGrads();
            model.forwardLoss(in, out, config.train().batch(), config.train().seq());
            peak = Math.max(peak, residentBytes() - before);
            model.backward();
            peak = Math.max(peak, residentBytes() - before);
            optimizer.step(slots, 1e-3);
            peak = Math.max(peak, residentBytes() - before);
        }
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
