package io.spindle.bench;

import io.spindle.layers.core.Blas;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;

/**
 * Square float32 matrix-multiply throughput through ND4J ({@code Nd4j.gemm}) and through
 * Spindle's direct {@code cblas_sgemm} into the OpenBLAS ND4J links, at 512³, 1024³ and 2048³.
 * Threads come from OMP_NUM_THREADS / OPENBLAS_NUM_THREADS (run-comparison.sh sets 2).
 *
 * <p>Prints one {@code RESULT sgemm ...} line per path and size, the format run-comparison.sh reads.
 */
public final class Sgemm {
    private static final int[] SIZES = {512, 1024, 2048};

    record Rate(String path, int n, double medianGflops, double bestGflops) {}

    private Sgemm() {}

    public static void main(String[] args) {
        BenchEnvironment.print();
        for (Rate r : measureAll()) {
            System.out.printf("RESULT sgemm path=%s n=%d gflops_median=%.1f gflops_best=%.1f%n",
                    r.path(), r.n(), r.medianGflops(), r.bestGflops());
        }
    }

    static Rate[] measureAll() {
        Rate[] rates = new Rate[SIZES.length * 2];
        int i = 0;
        for (int n : SIZES) {
            INDArray a = Nd4j.rand(DataType.FLOAT, n, n).subi(0.5);
            INDArray b = Nd4j.rand(DataType.FLOAT, n, n).subi(0.5);
            INDArray c = Nd4j.zeros(DataType.FLOAT, n, n);
            rates[i++] = rate("nd4j", n, () -> Nd4j.gemm(a, b, c, false, false, 1.0, 0.0));
            rates[i++] = rate("cblas", n, () -> Blas.gemm(false, false, 1f, a, b, 0f, c));
        }
        return rates;
    }

    /** Repeats the product for about a second after two warmup calls; median and best of the repeats. */
    private static Rate rate(String path, int n, Runnable gemm) {
        gemm.run();
        gemm.run();
        double flops = 2.0 * n * n * n;
        long t0 = System.nanoTime();
        gemm.run();
        double oneCall = (System.nanoTime() - t0) / 1e9;
        int reps = (int) Math.max(5, Math.min(200, 1.0 / oneCall));
        double[] gflops = new double[reps];
        for (int r = 0; r < reps; r++) {
            long s = System.nanoTime();
            gemm.run();
            gflops[r] = flops / ((System.nanoTime() - s) / 1e9) / 1e9;
        }
        Arrays.sort(gflops);
        return new Rate(path, n, gflops[reps / 2], gflops[reps - 1]);
    }
}
