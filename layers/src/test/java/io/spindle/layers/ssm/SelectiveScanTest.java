package io.spindle.layers.ssm;

import io.spindle.layers.testing.FiniteDifference;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * 2 sequences of 150 steps (five checkpoint chunks of 32, the last partial), 70 channels (a full
 * and a partial channel block of 64), 5 states; B and C are column ranges of one wider array, as in the block.
 */
class SelectiveScanTest {
    private static final int BATCH = 2, SEQ = 150, CH = 70, N = 5, BC_WIDTH = 2 * N + 3;

    /** The inputs and parameters as arrays a finite-difference check can perturb. */
    private static final class Case {
        final INDArray u, delta, z, bc, a, skip, bias;

        Case(long seed) {
            SplittableRandom r = new SplittableRandom(seed);
            u = FiniteDifference.normal(r, 1, BATCH * SEQ, CH);
            delta = FiniteDifference.normal(r, 1, BATCH * SEQ, CH);
            z = FiniteDifference.normal(r, 1, BATCH * SEQ, CH);
            bc = FiniteDifference.normal(r, 1, BATCH * SEQ, BC_WIDTH);
            a = org.nd4j.linalg.ops.transforms.Transforms.exp(FiniteDifference.normal(r, 0.5, CH, N)).muli(-1); // −exp(A_log)
            skip = FiniteDifference.normal(r, 1, CH);
            bias = FiniteDifference.normal(r, 0.5, CH).subi(1);
        }

        float[] run(SelectiveScan scan) {
            float[] out = new float[BATCH * SEQ * CH];
            float[] bcF = f(bc);
            scan.forward(SelectiveScan.Rows.of(f(u), CH), SelectiveScan.Rows.of(f(delta), CH), SelectiveScan.Rows.of(f(z), CH),
                    new SelectiveScan.Rows(bcF, 2, BC_WIDTH), new SelectiveScan.Rows(bcF, 2 + N, BC_WIDTH),
                    f(a), f(skip), f(bias), BATCH, SEQ, out);
            return out;
        }
    }

    private static float[] f(INDArray a) { return a.dup('c').data().asFloat(); }

    private static INDArray arr(float[] data, long... shape) { return org.nd4j.linalg.factory.Nd4j.create(data, shape, 'c'); }

    @Test
    void forwardFollowsTheRecurrence() {
        Case c = new Case(1);
        float[] out = c.run(new SelectiveScan(CH, N));
        double[] u = FiniteDifference.toDoubles(c.u), delta = FiniteDifference.toDoubles(c.delta), z = FiniteDifference.toDoubles(c.z);
        double[] bc = FiniteDifference.toDoubles(c.bc), a = FiniteDifference.toDoubles(c.a);
        double[] skip = FiniteDifference.toDoubles(c.skip), bias = FiniteDifference.toDoubles(c.bias);
        for (int b = 0; b < BATCH; b++) {
            for (int d = 0; d < CH; d++) {
                double[] h = new double[N];
                for (int t = 0; t < SEQ; t++) {
                    int row = b * SEQ + t;
                    double dt = Math.log1p(Math.exp(delta[row * CH + d] + bias[d]));
                    double y = skip[d] * u[row * CH + d];
                    for (int n = 0; n < N; n++) {
                        h[n] = Math.exp(dt * a[d * N + n]) * h[n] + dt * bc[row * BC_WIDTH + 2 + n] * u[row * CH + d];
                        y += bc[row * BC_WIDTH + 2 + N + n] * h[n];
                    }
                    double zv = z[row * CH + d];
                    double want = y * zv / (1 + Math.exp(-zv));
                    assertEquals(want, out[row * CH + d], 1e-5 * Math.max(1, Math.abs(want)), "b=" + b + " t=" + t + " d=" + d);
                }
            }
        }
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        SplittableRandom random = new SplittableRandom(2);
        Case c = new Case(3);
        SelectiveScan scan = new SelectiveScan(CH, N);
        INDArray r = FiniteDifference.normal(random, 1, BATCH * SEQ, CH);
        DoubleSupplier loss = () -> FiniteDifference.dot(arr(c.run(scan), BATCH * SEQ, CH), r);
        c.run(scan);
        float[] du = new float[BATCH * SEQ * CH], dDelta = new float[du.length], dz = new float[du.length];
        float[] dbc = new float[BATCH * SEQ * BC_WIDTH];
        float[] dA = new float[CH * N], dSkip = new float[CH], dBias = new float[CH];
        scan.backward(f(r), SelectiveScan.Rows.of(du, CH), SelectiveScan.Rows.of(dDelta, CH), SelectiveScan.Rows.of(dz, CH),
                new SelectiveScan.Rows(dbc, 2, BC_WIDTH), new SelectiveScan.Rows(dbc, 2 + N, BC_WIDTH), dA, dSkip, dBias);
        FiniteDifference.check("scan du", c.u, arr(du, BATCH * SEQ, CH), loss, 1e-2, 1e-3, random);
        FiniteDifference.check("scan ddelta", c.delta, arr(dDelta, BATCH * SEQ, CH), loss, 1e-2, 1e-3, random);
        FiniteDifference.check("scan dz", c.z, arr(dz, BATCH * SEQ, CH), loss, 1e-2, 1e-3, random);
        // columns 0, 1 and the last of bc are read by nobody: their gradient is zero, and the check sees that too
        FiniteDifference.check("scan dB,dC", c.bc, arr(dbc, BATCH * SEQ, BC_WIDTH), loss, 1e-2, 1e-3, random);
        FiniteDifference.check("scan dA", c.a, arr(dA, CH, N), loss, 1e-3, 1e-3, random);
        FiniteDifference.check("scan dD", c.skip, arr(dSkip, CH), loss, 1e-2, 1e-3, random);
        FiniteDifference.check("scan ddelta_bias", c.bias, arr(dBias, CH), loss, 1e-2, 1e-3, random);
    }

    /** Generation: token by token through the state gives the training scan's floats, bit for bit. */
    @Test
    void stepsReproduceTheScanExactly() {
        Case c = new Case(4);
        SelectiveScan scan = new SelectiveScan(CH, N);
        float[] out = c.run(scan);
        float[] u = f(c.u), delta = f(c.delta), z = f(c.z), bc = f(c.bc);
        ScanState state = scan.newState(BATCH);
        float[] us = new float[BATCH * CH], ds = new float[BATCH * CH], zs = new float[BATCH * CH];
        float[] bs = new float[BATCH * N], cs = new float[BATCH * N], ys = new float[BATCH * CH];
        for (int t = 0; t < SEQ; t++) {
            for (int b = 0; b < BATCH; b++) {
                int row = b * SEQ + t;
                System.arraycopy(u, row * CH, us, b * CH, CH);
                System.arraycopy(delta, row * CH, ds, b * CH, CH);
                System.arraycopy(z, row * CH, zs, b * CH, CH);
                System.arraycopy(bc, row * BC_WIDTH + 2, bs, b * N, N);
                System.arraycopy(bc, row * BC_WIDTH + 2 + N, cs, b * N, N);
            }
            scan.step(state, us, ds, zs, bs, cs, f(c.a), f(c.skip), f(c.bias), ys);
            for (int b = 0; b < BATCH; b++) {
                for (int d = 0; d < CH; d++) {
                    assertEquals(out[(b * SEQ + t) * CH + d], ys[b * CH + d], 0f, "t=" + t + " b=" + b + " d=" + d);
                }
            }
        }
    }

    @Test
    void scanMathIsAccurate() {
        // from -80: below about -87 the results are subnormal floats and keep fewer digits
        for (float x = -80f; x <= 88f; x += 0.0137f) {
            double want = Math.exp(x);
            assertEquals(want, ScanMath.exp(x), 2e-7 * want, "exp(" + x + ")");
        }
        assertEquals(0f, ScanMath.exp(-1000f), 1e-37f);
        for (float x = -30f; x <= 30f; x += 0.37f) {
            assertEquals(Math.log1p(Math.exp(x)), ScanMath.softplus(x), 1e-6 * Math.max(1, Math.abs(x)), "softplus(" + x + ")");
            assertEquals(1 / (1 + Math.exp(-x)), ScanMath.sigmoid(x), 1e-6, "sigmoid(" + x + ")");
        }
    }
}
