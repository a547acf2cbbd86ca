package io.spindle.bench;

import io.spindle.layers.core.FeedForward;
import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.kan.GrKanFfn;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;

/**
 * GR-KAN FFN forward+backward against the same-shape GELU MLP ({@link GeluMlp}): the KAT paper's
 * own GR-KAN trained 123× slower than an MLP; the goal here is at most 1.5×.
 *
 * <p>Shapes: the {@code tiny} and {@code small} flavors' widths with KAT's 4× hidden and 8
 * groups, 2048 rows (a training batch of tokens). Each shape warms up, then alternates the two
 * layers for {@code --reps} forward+backward passes each (alternating spreads any change of
 * machine load over both) and prints the medians:
 * {@code RESULT grkan d=… hidden=… rows=… mlp_ms=… grkan_ms=… ratio=…}.
 */
public final class GrKanBench {
    private static final int GROUPS = 8;
    private static final int ROWS = 2048;
    private static final int[][] SHAPES = {{128, 512}, {384, 1536}};

    private GrKanBench() {}

    public static void main(String[] args) {
        int reps = args.length == 2 && args[0].equals("--reps") ? Integer.parseInt(args[1]) : 30;
        BenchEnvironment.print();
        for (int[] shape : SHAPES) {
            int d = shape[0], hidden = shape[1];
            ParameterSet mlpParams = new ParameterSet();
            GeluMlp mlp = new GeluMlp(mlpParams, d, hidden, Initializer.normal(0.02));
            mlpParams.allocate(1);
            ParameterSet kanParams = new ParameterSet();
            GrKanFfn kan = new GrKanFfn(kanParams, "ffn", d, hidden, GROUPS, Initializer.normal(0.02), Initializer.normal(0.02));
            kanParams.allocate(1);
            INDArray x = Nd4j.randn(DataType.FLOAT, ROWS, d);
            INDArray dy = Nd4j.randn(DataType.FLOAT, ROWS, d);
            for (int i = 0; i < 10; i++) {
                step(mlp, x, dy);
                step(kan, x, dy);
            }
            double[] mlpMs = new double[reps];
            double[] kanMs = new double[reps];
            for (int r = 0; r < reps; r++) {
                mlpMs[r] = step(mlp, x, dy);
                kanMs[r] = step(kan, x, dy);
            }
            double m = median(mlpMs), k = median(kanMs);
            System.out.printf("RESULT grkan d=%d hidden=%d groups=%d rows=%d mlp_ms=%.2f grkan_ms=%.2f ratio=%.3f%n",
                    d, hidden, GROUPS, ROWS, m, k, k / m);
        }
        BenchEnvironment.print();
    }

    /** One forward+backward in milliseconds. */
    private static double step(FeedForward ffn, INDArray x, INDArray dy) {
        long t0 = System.nanoTime();
        ffn.forward(x);
        ffn.backward(dy);
        return (System.nanoTime() - t0) / 1e6;
    }

    private static double median(double[] a) {
        double[] s = a.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
