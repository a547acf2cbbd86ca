package io.spindle.bench;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * ADR 0001's measurement: one training step (forward + backward + parameter update) of the same
 * small causal transformer ({@link LmShape#ENGINE_DECISION}) on the three engine candidates:
 * (a) a SameDiff graph, (b) a DL4J ComputationGraph of custom layers with hand-written backward,
 * (c) Spindle's own TransformerLM with AdamW. Also the per-op dispatch cost and ops per step.
 *
 * <p>Usage: {@code EngineComparison [--steps N] [--warmup N] [--engines a,b,c]}. Prints
 * {@code RESULT engine ...} lines with the median and p90 ms per step.
 */
public final class EngineComparison {
    private EngineComparison() {}

    public static void main(String[] args) {
        int steps = 50;
        int warmup = 5;
        Set<String> engines = new LinkedHashSet<>(List.of("a", "b", "c"));
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--steps" -> steps = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--engines" -> engines = new LinkedHashSet<>(List.of(args[++i].split(",")));
                default -> {
                    System.err.println("unknown argument " + args[i]
                            + "; usage: EngineComparison [--steps N] [--warmup N] [--engines a,b,c]");
                    System.exit(2);
                }
            }
        }
        LmShape shape = LmShape.ENGINE_DECISION;
        BenchEnvironment.print();
        System.out.println("shape " + shape + " (" + shape.tokensPerStep() + " tokens/step)");

        for (DispatchOverhead.Cost c : DispatchOverhead.measure()) {
            System.out.printf(Locale.ROOT, "RESULT dispatch op=\"%s\" us_median=%.2f us_p90=%.2f%n",
                    c.op(), c.medianMicros(), c.p90Micros());
        }

        List<String> summary = new ArrayList<>();
        for (String engine : engines) {
            switch (engine) {
                case "a" -> summary.add(runSameDiff(shape, warmup, steps));
                case "b" -> summary.add(runGraph(shape, warmup, steps));
                case "c" -> summary.add(runSpindle(shape, warmup, steps));
                default -> throw new IllegalArgumentException("unknown engine " + engine + "; choose from a, b, c");
            }
        }
        System.out.println();
        System.out.println("engine                                   median ms  p90 ms   tokens/s");
        summary.forEach(System.out::println);
    }

    private static String runSameDiff(LmShape shape, int warmup, int steps) {
        SameDiffLm model = new SameDiffLm(shape, 1, 1e-3);
        TokenBatches data = new TokenBatches(shape.vocab(), shape.seq(), shape.batch(), 7);
        double[] loss = new double[2];
        int[][] first = data.next();
        loss[0] = model.loss(first[0], first[1]);
        model.step(first[0], first[1]);
        int[][][] last = new int[1][][];
        StepTimes t = StepTimes.measure("a", warmup, steps, () -> {
            last[0] = data.next();
            model.step(last[0][0], last[0][1]);
        });
        loss[1] = model.loss(last[0][0], last[0][1]);
        System.out.println("GRADS engine=a calculateGradients=" + model.gradientShapes(first[0], first[1]));
        System.out.printf(Locale.ROOT, "OPS engine=a forward_ops=%d forward_plus_backward_ops=%d "
                        + "trainable_variables=%d (the Adam update runs per variable in Java on top)%n",
                model.forwardOps(), model.gradientOps(), model.trainableVariables());
        System.out.println("NOTE engine=a loss_last is a forward on the last batch after its update: SameDiff's fit "
                + "reports the data loss as 0 to listeners");
        return report("a", "SameDiff graph + Adam/wd (TrainingConfig)", model.parameterCount(), shape, t, loss);
    }

    private static String runGraph(LmShape shape, int warmup, int steps) {
        probeGraphUpdater(shape);
        GraphLm model = new GraphLm(shape, 1, 1e-3);
        TokenBatches data = new TokenBatches(shape.vocab(), shape.seq(), shape.batch(), 7);
        double[] loss = new double[2];
        int[][] first = data.next();
        loss[0] = model.step(first[0], first[1]);
        StepTimes t = StepTimes.measure("b", warmup, steps, () -> {
            int[][] batch = data.next();
            loss[1] = model.step(batch[0], batch[1]);
        });
        System.out.printf(Locale.ROOT, "OPS engine=b updater_blocks=%d%n", model.updaterBlocks());
        return report("b", "ComputationGraph + custom layers + Adam/wd", model.parameterCount(), shape, t, loss);
    }

    /** One step with an Adam that records the gradient shapes DL4J's updater receives. */
    private static void probeGraphUpdater(LmShape shape) {
        GraphLm probe = new GraphLm(shape, 1, new ShapeRecordingAdam(1e-3));
        int[][] batch = new TokenBatches(shape.vocab(), shape.seq(), shape.batch(), 7).next();
        probe.step(batch[0], batch[1]);
        System.out.println("UPDATER engine=b gradient_shapes_seen_by_IUpdater=" + ShapeRecordingAdam.seenShapes()
                + " params=" + probe.parameterCount());
    }

    private static String runSpindle(LmShape shape, int warmup, int steps) {
        SpindleLm model = new SpindleLm(shape.toModelConfig("engine-decision"), shape.batch(), shape.seq(), 1, 1e-3);
        TokenBatches data = new TokenBatches(shape.vocab(), shape.seq(), shape.batch(), 7);
        double[] loss = new double[2];
        int[][] first = data.next();
        loss[0] = model.step(first[0], first[1]);
        StepTimes t = StepTimes.measure("c", warmup, steps, () -> {
            int[][] batch = data.next();
            loss[1] = model.step(batch[0], batch[1]);
        });
        return report("c", "Spindle TransformerLM + AdamW", model.parameterCount(), shape, t, loss);
    }

    private static String report(String engine, String label, long params, LmShape shape, StepTimes t, double[] loss) {
        double tokensPerS = shape.tokensPerStep() / (t.median() / 1e3);
        System.out.printf(Locale.ROOT, "RESULT engine=%s params=%d steps=%d ms_median=%.2f ms_p90=%.2f ms_min=%.2f "
                        + "tokens_per_s=%.0f loss_first=%.4f loss_last=%.4f%n",
                engine, params, t.count(), t.median(), t.p90(), t.min(), tokensPerS, loss[0], loss[1]);
        return String.format(Locale.ROOT, "(%s) %-36s %9.1f %7.1f %10.0f", engine, label, t.median(), t.p90(), tokensPerS);
    }
}
