package io.spindle.bench;

import io.spindle.layers.model.ModelConfig;
import io.spindle.layers.model.TransformerLM;
import io.spindle.optim.Optimizer;
import io.spindle.optim.ParamSlot;
import io.spindle.optim.adamw.AdamW;
import io.spindle.optim.offload.OffloadConfig;
import io.spindle.optim.offload.OffloadWindow;
import io.spindle.optim.state.StateFormat;
import io.spindle.optim.state.TensorSource;
import io.spindle.parallel.checkpoint.CheckpointCatalog;
import io.spindle.parallel.checkpoint.CheckpointContent;
import io.spindle.parallel.checkpoint.CheckpointWriter;
import io.spindle.parallel.checkpoint.LocalCheckpointStorage;
import io.spindle.parallel.tp.TensorParallel;
import io.spindle.parallel.train.ModelState;
import io.spindle.parallel.train.ParameterSlots;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The Fuyou memory check (issue 9): a model whose AdamW state is at least 4x the offload memory
 * budget trains to completion with state and master weights offloaded, and the process's peak
 * resident memory (VmHWM) stays under budget + model + activations. "Model + activations" is
 * measured, not estimated: the same model, data and steps in a child JVM that runs forward and
 * backward and steps an offloaded AdamW over one toy tensor through the smallest window (so the
 * baseline holds parameters, gradients, activations, the JVM, ND4J and the offload code and
 * threads, but no real optimizer state). A third child
 * trains with the state in memory, to show what the budget saves. Every child has the same JVM
 * flags ({@link #JVM}), so heap sizing and JIT do not differ between them.
 *
 * <p>After its steps every child writes a checkpoint (model parameters and optimizer state, as
 * {@code RankTrainer} does: streamed sources, {@link CheckpointWriter}, {@code step-N.tmp} renamed)
 * to a scratch directory under DIR, loads it back into a new optimizer with fresh offload files and
 * takes one more step. So the offloaded child's peak covers checkpointing and resuming a state 4.4x
 * the budget: it passes only if neither ever holds more than about a tensor of it.
 *
 * <p>Usage: {@code FuyouMemoryCheck [dir=java.io.tmpdir] [budget=48m] [steps=4]}; exits 1 when the
 * check fails. A child runs as {@code FuyouMemoryCheck child MODE DIR BUDGET STEPS}.
 */
public final class FuyouMemoryCheck {
    /** ~27.5M parameters: AdamW state 220 MB, 4.4x a 48 MiB budget; the largest tensor (512 x 1536) fits a frame. */
    private static final ModelConfig MODEL = new ModelConfig("fuyou-memory", 258, 512, 8, 8, 1536, 64, 10_000,
            1e-5, 0.02);
    private static final int SEQ = 64;
    /**
     * Same fixed, pre-touched heap for every child, and C1 only: C2 compiling the optimizer's hot
     * loops takes transient native arena memory (measured: peaks of 10-15 MB during steps 2-3 that
     * vanish with C1 only, while NMT shows the JVM's committed memory within 2 MB of the baseline),
     * which would blur a 48 MB budget with JIT noise that is neither state, model nor activations.
     */
    private static final List<String> JVM = List.of("-Xms256m", "-Xmx256m", "-XX:+AlwaysPreTouch",
            "-XX:TieredStopAtLevel=1");

    private FuyouMemoryCheck() {}

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("child")) {
            child(args[1], Path.of(args[2]), Long.parseLong(args[3]), Integer.parseInt(args[4]));
            return;
        }
        String dir = args.length > 0 ? args[0] : System.getProperty("java.io.tmpdir");
        long budget = OffloadConfig.parseBytes("budget", args.length > 1 ? args[1] : "48m");
        int steps = args.length > 2 ? Integer.parseInt(args[2]) : 4;
        BenchEnvironment.print();
        Path logs = Files.createTempDirectory("fuyou-memory-logs");
        long base = run("forward-backward", dir, budget, steps, logs);
        long offload = run("offload", dir, budget, steps, logs);
        long memory = args.length > 3 && args[3].equals("--no-in-memory") ? 0 : run("in-memory", dir, budget, steps, logs);
        long params = new TransformerLM(MODEL, 1).parameters().totalSize();
        long state = 8 * params;
        System.out.printf("model: %,d parameters; AdamW state %,d bytes = %.1fx the budget of %,d bytes%n", params, state,
                (double) state / budget, budget);
        System.out.printf("peak RSS (VmHWM): forward+backward (+ toy offload) %,d KiB; offloaded AdamW %,d KiB; in-memory AdamW %,d KiB%n",
                base, offload, memory);
        long limit = base + budget / 1024;
        System.out.printf("offloaded - forward+backward = %,d KiB (budget %,d KiB); in-memory - forward+backward = %,d KiB%n",
                offload - base, budget / 1024, memory - base);
        boolean ok = offload <= limit && state >= 4 * budget;
        System.out.println((ok ? "PASS" : "FAIL") + ": peak RSS " + offload + " KiB <= budget + model + activations = "
                + limit + " KiB; state >= 4x budget: " + (state >= 4 * budget));
        if (!ok) System.exit(1);
    }

    private static long run(String mode, String dir, long budget, int steps, Path logs) throws Exception {
        try (ChildJvm child = ChildJvm.start(mode, FuyouMemoryCheck.class, JVM, Map.of("OMP_NUM_THREADS", "2"),
                List.of("child", mode, dir, Long.toString(budget), Integer.toString(steps)), logs)) {
            String line = child.awaitLine("VMHWM_KB", Duration.ofMinutes(20));
            child.awaitSuccess(Duration.ofMinutes(1));
            return Long.parseLong(line.trim().split("\\s+")[0]);
        }
    }

    private static void child(String mode, Path dir, long budget, int steps) throws Exception {
        TransformerLM model = new TransformerLM(MODEL, 1);
        List<ParamSlot> slots = ParameterSlots.of(model.parameters());
        int[] in = new int[SEQ];
        int[] out = new int[SEQ];
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < SEQ; i++) {
            in[i] = r.nextInt(256);
            out[i] = r.nextInt(256);
        }
        boolean baseline = mode.equals("forward-backward");
        // The baseline runs the offload machinery too (classes, JIT code, I/O threads) on one toy
        // tensor through the smallest window, so that the difference to the offloaded run is the
        // window and the state it holds, not the code that moves it.
        List<ParamSlot> toy = List.of(new ParamSlot("toy", new long[] {16, 16}, ParamSlot.MATRIX,
                Nd4j.rand(DataType.FLOAT, 16, 16), Nd4j.rand(DataType.FLOAT, 16, 16)));
        Path checkpoints = Files.createTempDirectory(dir, "fuyou-memory-checkpoints");
        LocalCheckpointStorage storage = new LocalCheckpointStorage(checkpoints);
        List<ParamSlot> stepped = baseline ? toy : slots;
        try (Optimizer adamw = adamw(mode, baseline ? OffloadConfig.MIN_BUDGET : budget, dir)) {
            for (int s = 0; s < steps; s++) {
                adamw.prefetch();
                model.parameters().zeroGrads();
                model.forwardLoss(in, out, 1, SEQ);
                model.backward();
                adamw.step(stepped, 1e-4);
                System.out.println("RSS after step " + (s + 1) + ": " + status("VmRSS") + " KiB, peak " + status("VmHWM"));
            }
            // As RankTrainer saves: the model's parameters and the optimizer's state as streamed sources.
            new CheckpointWriter(storage, "fuyou-memory", 1).write(new CheckpointContent(steps, "fuyou-memory", 1, 1,
                    Map.of(), TensorSource.of(TensorParallel.single().logicalParameters(model.parameters())),
                    adamw.stateSource()));
            System.out.println("RSS after the checkpoint: " + status("VmRSS") + " KiB, peak " + status("VmHWM"));
        }
        // As RankTrainer resumes, into a new optimizer with fresh offload files, then one more step.
        try (Optimizer resumed = adamw(mode, baseline ? OffloadConfig.MIN_BUDGET : budget, dir)) {
            CheckpointContent saved = new CheckpointCatalog(storage).load(steps);
            ModelState.load(model.parameters(), saved.modelTensors());
            resumed.loadState(saved.optimizerTensors());
            System.out.println("RSS after the resume: " + status("VmRSS") + " KiB, peak " + status("VmHWM"));
            resumed.prefetch();
            model.parameters().zeroGrads();
            model.forwardLoss(in, out, 1, SEQ);
            model.backward();
            resumed.step(stepped, 1e-4);
            System.out.println("RSS after the resumed step: " + status("VmRSS") + " KiB, peak " + status("VmHWM"));
            System.out.println("STEPS " + resumed.stepCount());
            if (resumed.stepCount() != steps + 1) throw new IllegalStateException("resumed at the wrong step");
        } finally {
            storage.delete("");
        }
        System.out.println("VMHWM_KB " + status("VmHWM"));
        System.out.flush();
    }

    /** AdamW with its state in memory, or offloaded through a window of {@code budget} bytes in {@code dir}. */
    private static Optimizer adamw(String mode, long budget, Path dir) {
        if (mode.equals("in-memory")) {
            return new AdamW(0.9, 0.95, 1e-8, 0.1, AdamW.DEFAULT_DECAYED_ROLES, StateFormat.DENSE);
        }
        // the optimizer's stores hold the window; the creator's reference is released here
        try (OffloadWindow window = OffloadWindow.open(OffloadConfig.of(budget, dir.toString()))) {
            return new AdamW(0.9, 0.95, 1e-8, 0.1, AdamW.DEFAULT_DECAYED_ROLES, StateFormat.DENSE.offloadedThrough(window));
        }
    }

    /** A KiB figure of this process from /proc/self/status: VmHWM is the peak resident set size, VmRSS the current. */
    private static long status(String field) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(field + ":")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
        throw new IllegalStateException("no " + field + " in /proc/self/status: peak RSS needs Linux");
    }
}
