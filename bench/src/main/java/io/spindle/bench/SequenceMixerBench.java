package io.spindle.bench;

import io.spindle.layers.attention.CausalSelfAttention;
import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.core.SequenceMixer;
import io.spindle.layers.ssm.MambaMixer;
import io.spindle.layers.ssm.RecurrentMixer;
import io.spindle.layers.ssm.S4DKernel;
import io.spindle.layers.ssm.S4DMixer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;

/**
 * Sequence mixers at the {@code small} width (d 384): training forward+backward time against
 * sequence length (attention, S4D N=64, Mamba standard shape) and generation speed of the
 * recurrent path against re-running the whole prefix for every new token.
 *
 * <p>Training: 2 sequences of L = 256, 1024, 4096 (the tokens grow with L, so a linear-time mixer
 * takes 4× per step of L); median of {@code --reps} (3) forward+backward passes after warm-up passes
 * (at least 2 and 3 s); attention only up to {@code --attention-max-seq} (1024: its per-head products take
 * minutes per pass at 4096 on this machine); {@code --mixers} picks a subset; prints
 * {@code RESULT mixer=… seq=… ms=… ratio_to_prev=…}. Generation: one sequence, {@code GEN_TOKENS}
 * tokens; the recurrent path calls {@code step} per token, the other re-runs {@code forward} over
 * the prefix and keeps its last row (what a model without a state has to do); prints
 * {@code RESULT generate mixer=… recurrent_tok_s=… rerun_tok_s=…}.
 */
public final class SequenceMixerBench {
    private static final int D_MODEL = 384;
    private static final int HEADS = 6;
    private static final int BATCH = 2;
    private static final int[] LENGTHS = {256, 1024, 4096};
    private static final int GEN_TOKENS = 256;

    private SequenceMixerBench() {}

    public static void main(String[] args) {
        int reps = 3;
        int attentionMaxSeq = 1024;
        String[] mixers = {"attention", "s4d", "mamba"};
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--reps" -> reps = Integer.parseInt(args[i + 1]);
                case "--attention-max-seq" -> attentionMaxSeq = Integer.parseInt(args[i + 1]);
                case "--mixers" -> mixers = args[i + 1].split(",");
                default -> throw new IllegalArgumentException(
                        "usage: SequenceMixerBench [--reps N] [--attention-max-seq L] [--mixers attention,s4d,mamba]");
            }
        }
        BenchEnvironment.print();
        Initializer init = Initializer.normal(0.02);
        for (String name : mixers) {
            double prev = Double.NaN;
            for (int seq : LENGTHS) {
                if (name.equals("attention") && seq > attentionMaxSeq) {
                    System.out.printf("SKIP mixer=attention seq=%d (above --attention-max-seq %d)%n", seq, attentionMaxSeq);
                    continue;
                }
                SequenceMixer mixer = built(name, init);
                INDArray x = Nd4j.randn(DataType.FLOAT, (long) BATCH * seq, D_MODEL);
                INDArray dy = Nd4j.randn(DataType.FLOAT, (long) BATCH * seq, D_MODEL);
                // warm-up: at least 2 passes and 3 s, so the JIT has compiled the short runs too
                long warmStart = System.nanoTime();
                for (int w = 0; w < 2 || System.nanoTime() - warmStart < 3_000_000_000L; w++) {
                    mixer.forward(x, BATCH, seq);
                    mixer.backward(dy);
                }
                double[] ms = new double[reps];
                for (int r = 0; r < reps; r++) {
                    long t0 = System.nanoTime();
                    mixer.forward(x, BATCH, seq);
                    mixer.backward(dy);
                    ms[r] = (System.nanoTime() - t0) / 1e6;
                }
                double m = median(ms);
                System.out.printf("RESULT mixer=%s batch=%d seq=%d ms=%.1f ratio_to_prev=%.2f%n", name, BATCH, seq, m, m / prev);
                prev = m;
            }
        }
        for (String name : mixers) if (!name.equals("attention")) generation(name, init);
        BenchEnvironment.print();
    }

    private static SequenceMixer built(String name, Initializer init) {
        ParameterSet params = new ParameterSet();
        SequenceMixer mixer = switch (name) {
            case "attention" -> new CausalSelfAttention(params, "attn", D_MODEL, HEADS, 4096, 10_000, init, init);
            case "s4d" -> new S4DMixer(params, "s4d", D_MODEL, 64, S4DKernel.Init.LIN, init);
            case "mamba" -> new MambaMixer(params, "mamba", MambaMixer.Shape.standard(D_MODEL), init, init);
            default -> throw new IllegalArgumentException(name);
        };
        params.allocate(1);
        return mixer;
    }

    private static void generation(String name, Initializer init) {
        RecurrentMixer mixer = (RecurrentMixer) built(name, init);
        INDArray tokens = Nd4j.randn(DataType.FLOAT, GEN_TOKENS, D_MODEL);
        for (int warm = 0; warm < 2; warm++) {
            RecurrentMixer.State s = mixer.start(1);
            for (int t = 0; t < 32; t++) mixer.step(tokens.getRow(t, true).dup(), s);
        }
        long t0 = System.nanoTime();
        RecurrentMixer.State state = mixer.start(1);
        for (int t = 0; t < GEN_TOKENS; t++) mixer.step(tokens.getRow(t, true).dup(), state);
        double recurrent = GEN_TOKENS / ((System.nanoTime() - t0) / 1e9);
        long t1 = System.nanoTime();
        for (int t = 1; t <= GEN_TOKENS; t++) {
            INDArray prefix = tokens.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, t), org.nd4j.linalg.indexing.NDArrayIndex.all()).dup();
            mixer.forward(prefix, 1, t);
        }
        double rerun = GEN_TOKENS / ((System.nanoTime() - t1) / 1e9);
        System.out.printf("RESULT generate mixer=%s tokens=%d recurrent_tok_s=%.0f rerun_tok_s=%.0f speedup=%.1f%n",
                name, GEN_TOKENS, recurrent, rerun, recurrent / rerun);
    }

    private static double median(double[] a) {
        double[] s = a.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
