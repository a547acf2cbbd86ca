package io.spindle.layers.kan;

import java.util.function.DoubleUnaryOperator;

/**
 * Fits a safe Padé unit {@code P(x)/Q(x)}, {@code P = Σ_{i=0..5} a_i x^i},
 * {@code Q = 1 + Σ_{j=1..4} |b_j| |x|^j}, to a target function by least squares on evenly spaced
 * points, the way KAT initializes its rationals (Yang &amp; Wang 2024, §4.3: the authors fit
 * 1000 points of [-3, 3] with {@code scipy.optimize.curve_fit}).
 *
 * <p>The start is the linearized problem {@code P(x) − f(x)(Q(x) − 1) = f(x)} (Loeb's first
 * step), which is linear in (a, b); Levenberg–Marquardt then minimizes the true residual
 * {@code P/Q − f}. Q depends on |b| only, so the fit works on b directly and reflects it to |b|
 * after each step: the reflected point has the same residual, and a coefficient at 0 still gets a
 * one-sided derivative (curve_fit's finite differences give it one too).
 */
public final class RationalFit {
    public static final int NUM = 6;
    public static final int DEN = 4;
    private static final int PARAMS = NUM + DEN;
    private static final int MAX_ITERATIONS = 500;

    /** Fitted coefficients and the root-mean-square residual over the fitted points. */
    public record Coefficients(double[] numerator, double[] denominator, double rmse) {
        public Coefficients {
            numerator = numerator.clone();
            denominator = denominator.clone();
        }

        /** P(x)/Q(x) in double. */
        public double value(double x) {
            return RationalFit.value(numerator, denominator, x);
        }
    }

    private RationalFit() {}

    /** Fits {@code f} on {@code points} evenly spaced points of [lo, hi]. */
    public static Coefficients fit(DoubleUnaryOperator f, double lo, double hi, int points) {
        if (!(hi > lo) || points < 2 * PARAMS) {
            throw new IllegalArgumentException("rational fit needs hi > lo and at least " + 2 * PARAMS
                    + " points, got [" + lo + ", " + hi + "] with " + points + " points");
        }
        double[] xs = new double[points];
        double[] ys = new double[points];
        for (int k = 0; k < points; k++) {
            xs[k] = lo + (hi - lo) * k / (points - 1);
            ys[k] = f.applyAsDouble(xs[k]);
        }
        double[] theta = levenbergMarquardt(xs, ys, linearizedStart(xs, ys));
        double[] num = java.util.Arrays.copyOfRange(theta, 0, NUM);
        double[] den = java.util.Arrays.copyOfRange(theta, NUM, PARAMS);
        return new Coefficients(num, den, Math.sqrt(cost(xs, ys, theta) / points));
    }

    static double value(double[] num, double[] den, double x) {
        double p = 0;
        for (int i = NUM - 1; i >= 0; i--) p = p * x + num[i];
        double ax = Math.abs(x);
        double q = 0;
        for (int j = DEN - 1; j >= 0; j--) q = (q + Math.abs(den[j])) * ax;
        return p / (1 + q);
    }

    /** Least squares of {@code Σ a_i x^i − f Σ b_j |x|^j = f}, then b reflected to |b|. */
    private static double[] linearizedStart(double[] xs, double[] ys) {
        double[][] a = new double[xs.length][PARAMS];
        for (int k = 0; k < xs.length; k++) {
            double p = 1;
            for (int i = 0; i < NUM; i++, p *= xs[k]) a[k][i] = p;
            double ap = Math.abs(xs[k]);
            for (int j = 0; j < DEN; j++, ap *= Math.abs(xs[k])) a[k][NUM + j] = -ys[k] * ap;
        }
        double[] theta = LeastSquares.solve(a, ys.clone());
        for (int j = NUM; j < PARAMS; j++) theta[j] = Math.abs(theta[j]);
        return theta;
    }

    /**
     * Minimizes Σ (P/Q − f)² from {@code theta}; each step solves the damped Gauss–Newton system as
     * the least-squares problem {@code [J; √λ·diag] δ = [−r; 0]} (Marquardt's scaling by the
     * column norms of J), which keeps the x^5 columns' range out of a normal-equations solve.
     */
    private static double[] levenbergMarquardt(double[] xs, double[] ys, double[] start) {
        int m = xs.length;
        double[] theta = start.clone();
        double current = cost(xs, ys, theta);
        double lambda = 1e-3;
        for (int it = 0; it < MAX_ITERATIONS && lambda < 1e12; it++) {
            double[][] jac = new double[m + PARAMS][PARAMS];
            double[] rhs = new double[m + PARAMS];
            double[] colNorm = new double[PARAMS];
            for (int k = 0; k < m; k++) {
                residualRow(xs[k], ys[k], theta, jac[k]);
                rhs[k] = -residual(xs[k], ys[k], theta);
                for (int i = 0; i < PARAMS; i++) colNorm[i] += jac[k][i] * jac[k][i];
            }
            boolean improved = false;
            while (!improved && lambda < 1e12) {
                for (int i = 0; i < PARAMS; i++) {
                    java.util.Arrays.fill(jac[m + i], 0);
                    jac[m + i][i] = Math.sqrt(lambda * Math.max(colNorm[i], 1e-12));
                    rhs[m + i] = 0;
                }
                double[] step = LeastSquares.solve(copy(jac), rhs.clone());
                double[] trial = theta.clone();
                for (int i = 0; i < PARAMS; i++) trial[i] += step[i];
                for (int j = NUM; j < PARAMS; j++) trial[j] = Math.abs(trial[j]);
                double c = cost(xs, ys, trial);
                if (c < current) {
                    improved = true;
                    boolean converged = current - c <= 1e-14 * current;
                    theta = trial;
                    current = c;
                    lambda = Math.max(lambda / 3, 1e-12);
                    if (converged) return theta;
                } else {
                    lambda *= 4;
                }
            }
        }
        return theta;
    }

    /** d(P/Q)/dθ at x: x^i/Q for a_i; −P/Q² |x|^j for b_j ≥ 0 (b is kept reflected). */
    private static void residualRow(double x, double y, double[] theta, double[] row) {
        double p = 0;
        for (int i = NUM - 1; i >= 0; i--) p = p * x + theta[i];
        double ax = Math.abs(x);
        double q = 1;
        double pow = ax;
        for (int j = 0; j < DEN; j++, pow *= ax) q += theta[NUM + j] * pow;
        double xp = 1;
        for (int i = 0; i < NUM; i++, xp *= x) row[i] = xp / q;
        pow = ax;
        for (int j = 0; j < DEN; j++, pow *= ax) row[NUM + j] = -p / (q * q) * pow;
    }

    private static double residual(double x, double y, double[] theta) {
        double p = 0;
        for (int i = NUM - 1; i >= 0; i--) p = p * x + theta[i];
        double ax = Math.abs(x);
        double q = 0;
        for (int j = PARAMS - 1; j >= NUM; j--) q = (q + Math.abs(theta[j])) * ax;
        return p / (1 + q) - y;
    }

    private static double cost(double[] xs, double[] ys, double[] theta) {
        double s = 0;
        for (int k = 0; k < xs.length; k++) {
            double r = residual(xs[k], ys[k], theta);
            s += r * r;
        }
        return s;
    }

    private static double[][] copy(double[][] a) {
        double[][] out = new double[a.length][];
        for (int i = 0; i < a.length; i++) out[i] = a[i].clone();
        return out;
    }
}
