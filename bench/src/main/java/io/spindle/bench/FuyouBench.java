package io.spindle.bench;

import io.spindle.layers.model.ModelFlavors;
import io.spindle.layers.model.TransformerLM;
import io.spindle.optim.Optimizer;
import io.spindle.optim.ParamSlot;
import io.spindle.optim.adamw.AdamW;
import io.spindle.optim.coat.CoatQuantizer;
import io.spindle.optim.offload.OffloadConfig;
import io.spindle.optim.offload.OffloadWindow;
import io.spindle.optim.state.StateFormat;
import io.spindle.parallel.train.ParameterSlots;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Path;
import java.util.List;

/**
 * Fuyou offload speed (docs/memory.md): an SSD probe (sequential write + read, O_DIRECT), then the
 * AdamW optimizer step on a model's real parameter set with state and master weights offloaded
 * (dense float32, and COAT FP8), beside the bound the probed bandwidth sets for the bytes the step
 * moved (counted by the window, not computed), and the in-memory steps (dense, COAT) for reference:
 * an offloaded step can be no faster than the larger of its I/O bound and its in-memory compute. The probe runs
 * again at the end; the bound uses the mean of the two, since the machine is shared.
 *
 * <p>Usage: {@code FuyouBench [dir=java.io.tmpdir] [flavor=small] [budget=64m] [steps=8] [probeMiB=1024]}.
 */
public final class FuyouBench {
    private FuyouBench() {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : System.getProperty("java.io.tmpdir"));
        String flavor = args.length > 1 ? args[1] : "small";
        long budget = OffloadConfig.parseBytes("budget", args.length > 2 ? args[2] : "64m");
        int steps = args.length > 3 ? Integer.parseInt(args[3]) : 8;
        long probeBytes = (args.length > 4 ? Long.parseLong(args[4]) : 1024) << 20;
        BenchEnvironment.print();
        SsdProbe before = SsdProbe.measure(dir, probeBytes);
        System.out.println("PROBE before: " + before + " in " + dir + " (" + (probeBytes >> 20) + " MiB file)");

        TransformerLM model = new TransformerLM(ModelFlavors.get(flavor), 1);
        List<ParamSlot> params = ParameterSlots.of(model.parameters());
        long n = params.stream().mapToLong(ParamSlot::size).sum();
        Nd4j.getRandom().setSeed(7);
        model.parameters().grads().assign(Nd4j.randn(DataType.FLOAT, model.parameters().grads().length()).muli(1e-3));
        System.out.printf("MODEL %s: %,d parameters in %d tensors; window %d MiB%n", flavor, n, params.size(),
                budget >> 20);

        StepTimes memory = StepTimes.measure("in memory", 2, steps, adamw(StateFormat.DENSE, params));
        StepTimes memoryCoat = StepTimes.measure("in memory coat", 2, steps,
                adamw(StateFormat.coat(CoatQuantizer.DEFAULT_GROUP_SIZE), params));
        Measured dense = offloaded(StateFormat.DENSE, params, dir, budget, steps);
        Measured coat = offloaded(StateFormat.coat(CoatQuantizer.DEFAULT_GROUP_SIZE), params, dir, budget, steps);

        SsdProbe after = SsdProbe.measure(dir, probeBytes);
        System.out.println("PROBE after:  " + after);
        SsdProbe mean = new SsdProbe((before.writeBytesPerSecond() + after.writeBytesPerSecond()) / 2,
                (before.readBytesPerSecond() + after.readBytesPerSecond()) / 2, before.direct() && after.direct());
        System.out.println("state          MB read/step  MB written/step  bound ms  step ms (median, min)  bound/step");
        System.out.printf("memory dense   %12s  %15s  %8s  %8.1f %8.1f%n", "-", "-", "-", memory.median(), memory.min());
        System.out.printf("memory coat    %12s  %15s  %8s  %8.1f %8.1f%n", "-", "-", "-", memoryCoat.median(),
                memoryCoat.min());
        for (Measured m : List.of(dense, coat)) {
            double bound = mean.boundSeconds(m.read, m.written) * 1e3;
            System.out.printf("%-14s %12.1f  %15.1f  %8.1f  %8.1f %8.1f        %5.1f %%%n", m.name, m.read / 1e6,
                    m.written / 1e6, bound, m.times.median(), m.times.min(), 100 * bound / m.times.median());
        }
        System.out.printf("COAT / dense offloaded step time: %.2fx; bytes moved: %.2fx%n",
                coat.times.median() / dense.times.median(), (double) (coat.read + coat.written) / (dense.read + dense.written));
    }

    private record Measured(String name, StepTimes times, long read, long written) {}

    private static Measured offloaded(StateFormat format, List<ParamSlot> params, Path dir, long budget, int steps) {
        OffloadWindow window = OffloadWindow.open(OffloadConfig.of(budget, dir.toString()));
        StepTimes t;
        long r0;
        long w0;
        long stepsRun;
        try (window; Optimizer o = new AdamW(0.9, 0.95, 1e-8, 0.1, AdamW.DEFAULT_DECAYED_ROLES,
                format.offloadedThrough(window))) {
            o.step(params, 1e-4);
            o.state(); // waits for the first step's last write-back, so the counters start at a step boundary
            r0 = window.bytesRead();
            w0 = window.bytesWritten();
            t = StepTimes.measure("offloaded " + format.kind(), 2, steps, () -> o.step(params, 1e-4));
            stepsRun = o.stepCount() - 1;
        }
        // Counted after close, when the last write-back has finished: bytes per step as moved, not as planned.
        return new Measured("offload " + format.kind().name().toLowerCase(), t, (window.bytesRead() - r0) / stepsRun,
                (window.bytesWritten() - w0) / stepsRun);
    }

    private static Runnable adamw(StateFormat format, List<ParamSlot> params) {
        Optimizer o = new AdamW(0.9, 0.95, 1e-8, 0.1, AdamW.DEFAULT_DECAYED_ROLES, format);
        return () -> o.step(params, 1e-4);
    }
}
