package io.spindle.spark.memory;

import io.spindle.layers.model.TransformerLM;
import io.spindle.optim.Optimizer;
import io.spindle.optim.ParamSlot;
import io.spindle.parallel.train.Optimizers;
import io.spindle.parallel.train.ParameterSlots;
import io.spindle.spark.config.SpindleConfig;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Run in a fresh JVM by {@link RankMemoryEstimateTest}: two training steps of {@code tiny} at
 * {@link #SETTINGS}, printing the largest growth of the process's resident memory over them.
 */
public final class RankMemoryProbe {
    static final String[] SETTINGS = {"train.batch=32", "train.seq=128"};

    private RankMemoryProbe() {}

    public static void main(String[] args) {
        SpindleConfig config = RankMemoryEstimateTest.tiny(SETTINGS);
        Nd4j.create(1);   // load the backend before measuring
        System.gc();
        long before = RankMemoryEstimateTest.residentBytes();
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
            peak = Math.max(peak, RankMemoryEstimateTest.residentBytes() - before);
            model.backward();
            peak = Math.max(peak, RankMemoryEstimateTest.residentBytes() - before);
            optimizer.step(slots, 1e-3);
            peak = Math.max(peak, RankMemoryEstimateTest.residentBytes() - before);
        }
        System.out.println("peak_rss_growth_bytes=" + peak);
    }
}
