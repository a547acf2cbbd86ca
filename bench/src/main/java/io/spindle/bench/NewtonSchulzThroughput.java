package io.spindle.bench;

import io.spindle.layers.core.Blas;
import io.spindle.layers.model.ModelConfig;
import io.spindle.layers.model.ModelFlavors;
import io.spindle.optim.math.NewtonSchulz;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.Locale;

/**
 * Newton–Schulz throughput against sgemm, in one run (docs/optimizers.md). For every shape, in
 * alternating rounds so that both see the same machine load:
 * <ul>
 *   <li>{@code ns}: {@link NewtonSchulz#orthogonalize} with 5 iterations, timed whole
 *       (normalization, buffers, everything a caller pays);</li>
 *   <li>{@code gemm}: the iteration's three dense products, X X^T, A A and P X, as plain
 *       {@code cblas_sgemm} calls into preallocated buffers and nothing else: the sgemm rate at
 *       exactly these product shapes;</li>
 *   <li>{@code peak}: one square sgemm at 2048³, the machine's best matmul rate.</li>
 * </ul>
 * The credited FLOPs are the dense count on X [n, m] with n &lt;= m (a tall G is transposed):
 * X X^T 2n²m, A A 2n³, (bA + cA²) X 2n²m, i.e. 4n²m + 2n³ per iteration, the work the reference
 * implementation does. An implementation that uses the symmetry executes fewer; the line also gives
 * {@link NewtonSchulz#executedFlopsPerIteration} so both rates can be reported.
 *
 * <p>Shapes: the hidden matrices of the {@code small} flavor ([d, d] attention, [ffn, d] and
 * [d, ffn] SwiGLU) and two larger squares. Usage: {@code NewtonSchulzThroughput [--rounds R]}
 * (default 15 rounds per shape after a 3 s warmup). Threads come from OMP_NUM_THREADS.
 */
public final class NewtonSchulzThroughput {
    private static final int STEPS = 5;
    private static final int PEAK_N = 2048;

    private NewtonSchulzThroughput() {}

    public static void main(String[] args) {
        int rounds = 15;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--rounds") && i + 1 < args.length) {
                rounds = Integer.parseInt(args[++i]);
            } else {
                System.err.println("unknown argument " + args[i] + "; usage: NewtonSchulzThroughput [--rounds R]");
                System.exit(2);
            }
        }
        BenchEnvironment.print();
        ModelConfig small = ModelFlavors.get("small");
        int d = small.dModel();
        int ffn = small.ffnHidden();
        List<int[]> shapes = List.of(new int[] {d, d}, new int[] {ffn, d}, new int[] {d, ffn},
                new int[] {1024, 1024}, new int[] {2048, 2048});
        for (int[] s : shapes) {
            measure(s[0], s[1], rounds);
        }
    }

    private static void measure(int rows, int cols, int rounds) {
        long n = Math.min(rows, cols);
        long m = Math.max(rows, cols);
        double dense = STEPS * (4.0 * n * n * m + 2.0 * n * n * n);
        double executed = STEPS * NewtonSchulz.executedFlopsPerIteration(n, m);
        INDArray g = Nd4j.randn(DataType.FLOAT, rows, cols);
        Runnable ns = () -> NewtonSchulz.orthogonalize(g, STEPS);
        Runnable chain = gemmChain((int) n, (int) m);
        Runnable peak = squareSgemm(PEAK_N);
        StepTimes[] t = StepTimes.interleaved(rounds, ns, chain, peak);
        double nsMs = t[0].median();
        double gemmMs = t[1].median();
        double peakGflops = 2.0 * PEAK_N * PEAK_N * PEAK_N / t[2].median() / 1e6;
        double nsRate = dense / nsMs / 1e6;
        double gemmRate = dense / gemmMs / 1e6;
        double executedRate = executed / nsMs / 1e6;
        System.out.printf(Locale.ROOT, "RESULT newton_schulz shape=%dx%d steps=%d rounds=%d dense_gflop=%.3f "
                        + "executed_gflop=%.3f ns_ms=%.2f gemm_ms=%.2f ns_gflops=%.1f ns_executed_gflops=%.1f "
                        + "gemm_gflops=%.1f peak_gflops=%.1f ns_vs_gemm=%.3f ns_vs_peak=%.3f "
                        + "ns_executed_vs_gemm=%.3f ns_executed_vs_peak=%.3f%n",
                rows, cols, STEPS, rounds, dense / 1e9, executed / 1e9, nsMs, gemmMs, nsRate, executedRate,
                gemmRate, peakGflops, nsRate / gemmRate, nsRate / peakGflops,
                executedRate / gemmRate, executedRate / peakGflops);
    }

    /** The iteration's three dense products on X [n, m] with plain sgemm, nothing else. */
    private static Runnable gemmChain(int n, int m) {
        INDArray x = Nd4j.randn(DataType.FLOAT, n, m).divi(Math.sqrt((double) n * m));
        INDArray gram = Nd4j.create(DataType.FLOAT, n, n);
        INDArray poly = Nd4j.create(DataType.FLOAT, n, n);
        INDArray next = Nd4j.create(DataType.FLOAT, n, m);
        return () -> {
            for (int i = 0; i < STEPS; i++) {
                Blas.gemm(false, true, 1f, x, x, 0f, gram);
                Blas.gemm(false, false, 1f, gram, gram, 0f, poly);
                Blas.gemm(false, false, 1f, poly, x, 0f, next);
            }
        };
    }

    private static Runnable squareSgemm(int n) {
        INDArray a = Nd4j.rand(DataType.FLOAT, n, n).subi(0.5);
        INDArray b = Nd4j.rand(DataType.FLOAT, n, n).subi(0.5);
        INDArray c = Nd4j.create(DataType.FLOAT, n, n);
        return () -> Blas.gemm(false, false, 1f, a, b, 0f, c);
    }
}
