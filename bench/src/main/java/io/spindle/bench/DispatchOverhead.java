package io.spindle.bench;

import io.spindle.layers.core.Blas;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;

/**
 * Per-call cost of small operations, the figure that decides how a step of many small ops
 * performs: ND4J {@code addi}, {@code Nd4j.gemm} and Spindle's direct {@code cblas_sgemm}
 * ({@link Blas#gemm}), all on 64×64 float32 arrays.
 */
final class DispatchOverhead {
    private static final int SIZE = 64;
    private static final int CALLS_PER_ROUND = 2_000;
    private static final int ROUNDS = 15;

    record Cost(String op, double medianMicros, double p90Micros) {}

    private DispatchOverhead() {}

    static Cost[] measure() {
        INDArray a = Nd4j.rand(DataType.FLOAT, SIZE, SIZE);
        INDArray b = Nd4j.rand(DataType.FLOAT, SIZE, SIZE);
        INDArray c = Nd4j.zeros(DataType.FLOAT, SIZE, SIZE);
        INDArray acc = Nd4j.zeros(DataType.FLOAT, SIZE, SIZE);
        return new Cost[] {
            time("ND4J addi 64x64", () -> acc.addi(a)),
            time("ND4J Nd4j.gemm 64x64", () -> Nd4j.gemm(a, b, c, false, false, 1.0, 0.0)),
            time("direct cblas_sgemm (Blas.gemm) 64x64", () -> Blas.gemm(false, false, 1f, a, b, 0f, c)),
        };
    }

    private static Cost time(String op, Runnable call) {
        for (int i = 0; i < CALLS_PER_ROUND; i++) call.run();
        double[] perCall = new double[ROUNDS];
        for (int r = 0; r < ROUNDS; r++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < CALLS_PER_ROUND; i++) call.run();
            perCall[r] = (System.nanoTime() - t0) / 1e3 / CALLS_PER_ROUND;
        }
        Arrays.sort(perCall);
        return new Cost(op, perCall[ROUNDS / 2], perCall[(int) Math.ceil(0.9 * ROUNDS) - 1]);
    }
}
