package io.spindle.spark.conformance;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

/** Compares computed tensors with a case's expected ones under its tolerance. */
final class TensorComparison {
    private TensorComparison() {}

    /** Null when every expected value is matched; otherwise why not, naming the worst value. */
    static String failure(Map<String, GoldenTensor> expected, Map<String, INDArray> got, Tolerance tolerance) {
        String worstAt = null;
        double worstErr = -1, worstGot = 0, worstWant = 0;
        long bad = 0, total = 0;
        for (Map.Entry<String, GoldenTensor> e : expected.entrySet()) {
            GoldenTensor want = e.getValue();
            INDArray result = got.get(e.getKey());
            if (result == null) return "no result for " + e.getKey() + " (the implementation returned " + got.keySet() + ")";
            if (!sameShape(want.shape(), result)) {
                return e.getKey() + " has shape " + Arrays.toString(result.shape()) + ", expected " + Arrays.toString(want.shape());
            }
            double[] g = result.castTo(DataType.DOUBLE).dup('c').data().asDouble();
            double[] w = want.data();
            total += w.length;
            for (int i = 0; i < w.length; i++) {
                if (tolerance.accepts(g[i], w[i])) continue;
                bad++;
                // NaN and infinite results rank as the worst error
                double err = Double.isFinite(g[i]) ? Math.abs(g[i] - w[i]) : Double.POSITIVE_INFINITY;
                if (err > worstErr) {
                    worstErr = err;
                    worstAt = e.getKey() + want.index(i);
                    worstGot = g[i];
                    worstWant = w[i];
                }
            }
        }
        if (bad == 0) return null;
        return String.format(Locale.ROOT, "max abs err %.3g at %s (got %.8g, want %.8g; %d of %d values outside tolerance %s)",
                Double.isInfinite(worstErr) ? Math.abs(worstGot - worstWant) : worstErr, worstAt, worstGot, worstWant,
                bad, total, tolerance);
    }

    /** Equal shapes, or a scalar against any one-element result. */
    private static boolean sameShape(long[] want, INDArray got) {
        if (Arrays.equals(want, got.shape())) return true;
        return want.length == 0 && got.length() == 1;
    }
}
