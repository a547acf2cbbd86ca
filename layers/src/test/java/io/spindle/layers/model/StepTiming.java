package io.spindle.layers.model;

import java.util.SplittableRandom;

/**
 * Manual timing of forwardLoss + backward (not a unit test; the benchmarks module owns real
 * measurements). Run: java -cp ... io.spindle.layers.model.StepTiming dModel layers heads ffn seq batch [steps]
 */
public final class StepTiming {
    private StepTiming() {}

    public static void main(String[] args) {
        int d = Integer.parseInt(args[0]);
        int layers = Integer.parseInt(args[1]);
        int heads = Integer.parseInt(args[2]);
        int ffn = Integer.parseInt(args[3]);
        int seq = Integer.parseInt(args[4]);
        int batch = Integer.parseInt(args[5]);
        int steps = args.length > 6 ? Integer.parseInt(args[6]) : 30;
        ModelConfig config = new ModelConfig("timing", 258, d, layers, heads, ffn, seq, 10_000, 1e-5, 0.02);
        TransformerLM model = new TransformerLM(config, 1);
        SplittableRandom random = new SplittableRandom(7);
        int[] inputs = new int[batch * seq];
        int[] targets = new int[batch * seq];
        for (int i = 0; i < inputs.length; i++) {
            inputs[i] = random.nextInt(258);
            targets[i] = random.nextInt(258);
        }
        for (int i = 0; i < 10; i++) step(model, inputs, targets, batch, seq);
        long[] fwd = new long[steps];
        long[] total = new long[steps];
        for (int i = 0; i < steps; i++) {
            long t0 = System.nanoTime();
            model.forwardLoss(inputs, targets, batch, seq);
            long t1 = System.nanoTime();
            model.backward();
            long t2 = System.nanoTime();
            fwd[i] = t1 - t0;
            total[i] = t2 - t0;
        }
        java.util.Arrays.sort(fwd);
        java.util.Arrays.sort(total);
        System.out.printf("params %d  forward median %.2f ms  forward+backward median %.2f ms (min %.2f)%n",
                config.parameterCount(), fwd[steps / 2] / 1e6, total[steps / 2] / 1e6, total[0] / 1e6);
    }

    private static void step(TransformerLM model, int[] inputs, int[] targets, int batch, int seq) {
        model.parameters().zeroGrads();
        model.forwardLoss(inputs, targets, batch, seq);
        model.backward();
    }
}
