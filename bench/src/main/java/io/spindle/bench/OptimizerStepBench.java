package io.spindle.bench;

import io.spindle.layers.model.ModelConfig;
import io.spindle.layers.model.TransformerLM;
import io.spindle.optim.Optimizer;
import io.spindle.optim.ParamSlot;
import io.spindle.optim.clip.GradientClipping;
import io.spindle.parallel.train.Optimizers;
import io.spindle.parallel.train.ParameterSlots;
import io.spindle.spark.config.ConfigLoader;
import io.spindle.spark.config.SpindleConfig;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Time of one {@code optimizer.step} and size of the optimizer state, for each optimizer of the
 * comparison (docs/optimizers.md), on the parameters of the model its config trains. Timing the
 * step alone is what the training loop's step time cannot tell apart from forward and backward.
 *
 * <p>Each config's optimizer is built exactly as training builds it ({@link Optimizers#create} on
 * the loaded config) and steps its own copy of the parameter values; all share one set of real
 * gradients (one forward and backward on random tokens at the first config's batch and sequence
 * length, clipped as in training). The optimizers step in alternating rounds, one step each per round,
 * so that a change in machine load hits all of them alike.
 *
 * <p>The same rounds also time one forward, backward and clipping pass at the config's batch and
 * sequence length (into a separate gradient buffer, so the shared gradients stay fixed); with it
 * each line gives the tokens/s a whole training step would reach with that optimizer under the
 * same load, {@code batch·seq / (forward-backward + optimizer step)}, which training runs made
 * one after another on a shared machine cannot give.
 *
 * <p>State size: the bytes of every tensor of {@link Optimizer#state()} (what a checkpoint
 * stores), per model parameter.
 *
 * <p>Usage: {@code OptimizerStepBench --rounds R CONF...}; prints one {@code RESULT optimizer_step}
 * line per config.
 */
public final class OptimizerStepBench {
    private OptimizerStepBench() {}

    public static void main(String[] args) {
        int rounds = 20;
        List<File> confs = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--rounds") && i + 1 < args.length) {
                rounds = Integer.parseInt(args[++i]);
            } else if (args[i].startsWith("--")) {
                System.err.println("unknown option " + args[i] + "; usage: OptimizerStepBench [--rounds R] CONF...");
                System.exit(2);
            } else {
                confs.add(new File(args[i]));
            }
        }
        if (confs.isEmpty()) {
            System.err.println("usage: OptimizerStepBench [--rounds R] CONF...   (e.g. conf/optim-adamw.conf conf/optim-muon.conf)");
            System.exit(2);
        }
        BenchEnvironment.print();
        List<SpindleConfig> configs = confs.stream().map(f -> ConfigLoader.load(f, List.of())).toList();
        ModelConfig model = configs.get(0).model();
        for (int i = 1; i < configs.size(); i++) {
            if (!configs.get(i).model().equals(model)) {
                throw new IllegalArgumentException(confs.get(i) + " trains model " + configs.get(i).model()
                        + " but " + confs.get(0) + " trains " + model + "; compare optimizers on one model");
            }
        }
        SpindleConfig first = configs.get(0);
        int batch = first.train().batch();
        int seq = first.train().seq();
        TransformerLM lm = new TransformerLM(model, first.train().seed());
        int[][] tokens = new TokenBatches(model.vocabSize(), seq, batch, 7).next();
        Runnable forwardBackward = () -> {
            lm.parameters().zeroGrads();
            lm.forwardLoss(tokens[0], tokens[1], batch, seq);
            lm.backward();
            GradientClipping.clipGlobalNorm(lm.parameters().grads(), first.train().gradClip());
        };
        forwardBackward.run();
        List<ParamSlot> shared = fixedGradients(ParameterSlots.of(lm.parameters()));
        long parameters = shared.stream().mapToLong(ParamSlot::size).sum();
        Runnable[] steps = new Runnable[configs.size() + 1];
        Optimizer[] optimizers = new Optimizer[configs.size()];
        for (int i = 0; i < configs.size(); i++) {
            SpindleConfig c = configs.get(i);
            Optimizer optimizer = Optimizers.create(c.optim(), c.train());
            List<ParamSlot> own = ownValues(shared);
            double lr = c.train().lr();
            optimizers[i] = optimizer;
            steps[i] = () -> optimizer.step(own, lr);
        }
        steps[configs.size()] = forwardBackward;
        StepTimes[] times = StepTimes.interleaved(rounds, steps);
        double forwardBackwardMs = times[configs.size()].median();
        System.out.printf(Locale.ROOT, "RESULT forward_backward batch=%d seq=%d rounds=%d ms_median=%.1f ms_p90=%.1f%n",
                batch, seq, rounds, forwardBackwardMs, times[configs.size()].p90());
        for (int i = 0; i < configs.size(); i++) {
            long stateBytes = stateBytes(optimizers[i].state());
            double stepMs = forwardBackwardMs + times[i].median();
            System.out.printf(Locale.ROOT, "RESULT optimizer_step name=%s conf=%s params=%d rounds=%d ms_median=%.1f "
                            + "ms_p90=%.1f ms_min=%.1f state_bytes=%d state_bytes_per_param=%.3f "
                            + "train_step_ms=%.1f tokens_per_s_same_load=%.0f%n",
                    configs.get(i).optim().name(), confs.get(i), parameters, rounds, times[i].median(),
                    times[i].p90(), times[i].min(), stateBytes, (double) stateBytes / parameters,
                    stepMs, batch * seq / (stepMs / 1e3));
        }
    }

    /**
     * The parameters with a copy of their current gradients, so that the forward-backward workload
     * can keep overwriting the model's own gradient buffer while every optimizer reads the same one.
     */
    private static List<ParamSlot> fixedGradients(List<ParamSlot> model) {
        List<ParamSlot> out = new ArrayList<>();
        for (ParamSlot p : model) out.add(new ParamSlot(p.name(), p.shape(), p.role(), p.value(), p.grad().dup('c')));
        return out;
    }

    /** The same parameters and gradients, but values of their own, so optimizers do not interfere. */
    private static List<ParamSlot> ownValues(List<ParamSlot> shared) {
        List<ParamSlot> own = new ArrayList<>();
        for (ParamSlot p : shared) {
            own.add(new ParamSlot(p.name(), p.shape(), p.role(), p.value().dup('c'), p.grad()));
        }
        return own;
    }

    static long stateBytes(Map<String, INDArray> state) {
        long bytes = 0;
        for (INDArray t : state.values()) bytes += t.length() * t.dataType().width();
        return bytes;
    }
}
