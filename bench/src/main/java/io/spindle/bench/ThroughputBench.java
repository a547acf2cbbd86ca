package io.spindle.bench;

import io.spindle.layers.model.ModelConfig;
import io.spindle.layers.model.ModelFlavors;

import java.util.List;
import java.util.Locale;

/**
 * Training throughput of Spindle's engine (TransformerLM + AdamW, one rank, no Spark) on the
 * flavors that bench/python/reference_lm.py runs in PyTorch: {@code tiny} (T=128, batch 16),
 * {@code small} (T=256, batch 8) and {@code engine} (ADR 0001's shape, T=64, batch 8).
 *
 * <p>Usage: {@code ThroughputBench [--flavors tiny,small,engine] [--steps N] [--warmup N]}.
 * Prints one {@code RESULT throughput ...} line per flavor, the format run-comparison.sh reads.
 */
public final class ThroughputBench {
    private ThroughputBench() {}

    /** A flavor as trained here: its config, sequence length, batch and default step counts. */
    record Run(String name, ModelConfig config, int seq, int batch, int warmup, int steps) {}

    static Run run(String name) {
        return switch (name) {
            case "tiny" -> new Run(name, ModelFlavors.get("tiny"), 128, 16, 3, 20);
            case "small" -> new Run(name, ModelFlavors.get("small"), 256, 8, 2, 8);
            case "engine" -> new Run(name, LmShape.ENGINE_DECISION.toModelConfig("engine"),
                    LmShape.ENGINE_DECISION.seq(), LmShape.ENGINE_DECISION.batch(), 5, 50);
            default -> throw new IllegalArgumentException("unknown flavor " + name + "; choose from tiny, small, engine");
        };
    }

    public static void main(String[] args) {
        List<String> flavors = List.of("tiny", "small", "engine");
        int steps = -1;
        int warmup = -1;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--flavors" -> flavors = List.of(args[++i].split(","));
                case "--steps" -> steps = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                default -> {
                    System.err.println("unknown argument " + args[i]
                            + "; usage: ThroughputBench [--flavors tiny,small,engine] [--steps N] [--warmup N]");
                    System.exit(2);
                }
            }
        }
        BenchEnvironment.print();
        for (String name : flavors) {
            Run r = run(name);
            measure(r, warmup >= 0 ? warmup : r.warmup(), steps > 0 ? steps : r.steps());
        }
    }

    private static void measure(Run r, int warmup, int steps) {
        ModelConfig c = r.config();
        SpindleLm model = new SpindleLm(c, r.batch(), r.seq(), 1, 1e-3);
        TokenBatches data = new TokenBatches(c.vocabSize(), r.seq(), r.batch(), 7);
        double[] loss = new double[2];
        int[][] first = data.next();
        loss[0] = model.step(first[0], first[1]);
        StepTimes t = StepTimes.measure(r.name(), warmup, steps, () -> {
            int[][] batch = data.next();
            loss[1] = model.step(batch[0], batch[1]);
        });
        int tokens = r.seq() * r.batch();
        double tokensPerS = tokens / (t.median() / 1e3);
        System.out.printf(Locale.ROOT, "RESULT throughput framework=spindle flavor=%s params=%d matmul_params=%d "
                        + "layers=%d d_model=%d seq=%d batch=%d steps=%d ms_median=%.1f ms_p90=%.1f tokens_per_s=%.0f "
                        + "train_gflop_per_token=%.6f loss_first=%.4f loss_last=%.4f%n",
                r.name(), model.parameterCount(), model.matmulParameterCount(), c.layers(), c.dModel(), r.seq(),
                r.batch(), t.count(), t.median(), t.p90(), tokensPerS,
                trainFlopsPerToken(model.matmulParameterCount(), c.layers(), c.dModel(), r.seq()) / 1e9,
                loss[0], loss[1]);
    }

    /**
     * Training FLOPs per token, PaLM's accounting (Chowdhery et al. 2022, app. B): 6 per
     * matrix-product parameter (forward 2, backward 4) plus 12·layers·dModel·seq for the attention
     * score and value products. The embedding lookup does no multiply-adds and is left out.
     */
    static double trainFlopsPerToken(long matmulParams, int layers, int dModel, int seq) {
        return 6.0 * matmulParams + 12.0 * layers * dModel * seq;
    }
}
