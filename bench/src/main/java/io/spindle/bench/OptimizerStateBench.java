package io.spindle.bench;

import io.spindle.layers.model.ModelFlavors;
import io.spindle.layers.model.TransformerLM;
import io.spindle.optim.Optimizer;
import io.spindle.optim.ParamSlot;
import io.spindle.optim.coat.CoatQuantizer;
import io.spindle.optim.fp8.Fp8Format;
import io.spindle.optim.state.StateFormat;
import io.spindle.parallel.train.OptimizerConfig;
import io.spindle.parallel.train.Optimizers;
import io.spindle.parallel.train.ParameterSlots;
import io.spindle.parallel.train.TrainingConfig;
import io.spindle.parallel.train.NonFinitePolicy;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Optimizer state, dense vs COAT, on one model's real parameter set (docs/memory.md): bytes of
 * state per parameter, and the wall time of one optimizer step (median after warm-up) for AdamW
 * and Muon with dense float32 and COAT FP8 state, measured side by side in one JVM. Also the raw
 * speed of the FP8 encoder and of COAT's quantize/dequantize, in ns per element.
 *
 * <p>Usage: {@code OptimizerStateBench [flavor=small] [steps=15] [optimizers=adamw,lamb,muon]}, or
 * {@code OptimizerStateBench codec} for the codec speeds alone. Gradients are fixed random
 * values: the optimizer's cost does not depend on what they are.
 */
public final class OptimizerStateBench {
    private OptimizerStateBench() {}

    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("codec")) {
            BenchEnvironment.print();
            codecSpeed();
            return;
        }
        String flavor = args.length > 0 ? args[0] : "small";
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 15;
        BenchEnvironment.print();
        TransformerLM model = new TransformerLM(ModelFlavors.get(flavor), 1);
        List<ParamSlot> params = ParameterSlots.of(model.parameters());
        long n = 0;
        for (ParamSlot p : params) n += p.value().length();
        Nd4j.getRandom().setSeed(7);
        model.parameters().grads().assign(Nd4j.randn(DataType.FLOAT, model.parameters().grads().length()).muli(1e-3));
        System.out.printf("model %s: %,d parameters in %d tensors%n", flavor, n, params.size());

        TrainingConfig train = new TrainingConfig(100, 8, 256, 1e-3, 1e-4, 10, 0.1, 0.9, 0.95, 1e-8, 1.0,
                50, 8, 50, 2, 25, 1, NonFinitePolicy.STOP);
        System.out.println("optimizer        state   bytes/param   step ms (median, min, p90)   ratio to dense");
        List<String> names = args.length > 2 ? List.of(args[2].split(",")) : List.of("adamw", "lamb", "muon");
        for (String name : names) {
            double denseMs = 0;
            for (StateFormat format : List.of(StateFormat.DENSE, StateFormat.coat(CoatQuantizer.DEFAULT_GROUP_SIZE))) {
                Optimizer optimizer = Optimizers.create(new OptimizerConfig(name, "paper", 0.95, 5, 0.95, 1.0, 1.0, 0.0,
                        format), train);
                StepTimes t = StepTimes.measure(name + "/" + format.kind(), 3, steps, () -> optimizer.step(params, 1e-4));
                double perParam = (double) optimizer.stateBytes() / n;
                if (format.kind() == StateFormat.Kind.DENSE) denseMs = t.median();
                System.out.printf("%-15s  %-6s  %11.3f   %8.1f %8.1f %8.1f        %6.2fx%n", name,
                        format.kind().name().toLowerCase(), perParam, t.median(), t.min(), t.p90(),
                        t.median() / denseMs);
            }
        }
        codecSpeed();
    }

    /** ns per element of the FP8 encoder and of COAT quantize/dequantize on Adam-like values. */
    private static void codecSpeed() {
        int n = 1 << 22;
        float[] x = new float[n];
        SplittableRandom random = new SplittableRandom(3);
        for (int i = 0; i < n; i++) x[i] = (float) (random.nextGaussian() * Math.pow(10, -6 + 4 * random.nextDouble()));
        byte[] codes = new byte[n];
        float[] back = new float[n];
        CoatQuantizer q = new CoatQuantizer(CoatQuantizer.DEFAULT_GROUP_SIZE);
        float[] max = new float[q.groups(n)];
        short[] k16 = new short[q.groups(n)];
        StepTimes encode = StepTimes.measure("e4m3 encode", 3, 10, () -> Fp8Format.E4M3.encode(x, 0, codes, 0, n));
        StepTimes decode = StepTimes.measure("e4m3 decode", 3, 10, () -> Fp8Format.E4M3.decode(codes, 0, back, 0, n));
        StepTimes quantize = StepTimes.measure("coat quantize", 3, 10, () -> q.quantize(x, 0, n, 0, codes, 0, max, k16));
        StepTimes dequantize = StepTimes.measure("coat dequantize", 3, 10,
                () -> q.dequantize(codes, 0, n, 0, max, k16, back, 0));
        for (StepTimes t : List.of(encode, decode, quantize, dequantize)) {
            System.out.printf("%-16s %6.2f ns/element (median of %d passes over %,d floats, one thread; min %.2f)%n",
                    t.name(), t.median() * 1e6 / n, t.count(), n, t.min() * 1e6 / n);
        }
    }
}
