package io.spindle.layers.kan;

import io.spindle.layers.core.Initializer;

/**
 * The function a group rational starts as, every group alike. KAT starts the FFN's first rational
 * as the identity and its second as GELU ({@code act_init = ["identity", "gelu"]}), so a fresh
 * GR-KAN FFN computes about what the MLP it replaces does.
 */
public enum RationalStart {
    /** P(x) = x, Q(x) = 1. */
    IDENTITY {
        @Override
        RationalFit.Coefficients coefficients() {
            return new RationalFit.Coefficients(new double[] {0, 1, 0, 0, 0, 0}, new double[RationalFit.DEN], 0);
        }
    },
    /** Least-squares fit to exact GELU on 1000 points of [-3, 3], as KAT fits its GELU start. */
    GELU {
        @Override
        RationalFit.Coefficients coefficients() {
            return GeluFit.COEFFICIENTS;
        }
    };

    abstract RationalFit.Coefficients coefficients();

    /** Fills a {@code [groups, 6]} numerator with this start's coefficients in every row. */
    public Initializer numerator() {
        return repeated(coefficients().numerator());
    }

    /** Fills a {@code [groups, 4]} denominator with this start's coefficients in every row. */
    public Initializer denominator() {
        return repeated(coefficients().denominator());
    }

    private static Initializer repeated(double[] row) {
        return (values, shape, random) -> {
            for (int i = 0; i < values.length; i++) values[i] = (float) row[i % row.length];
        };
    }

    /** Fitted once per JVM, on first use (a few milliseconds). */
    private static final class GeluFit {
        static final RationalFit.Coefficients COEFFICIENTS = RationalFit.fit(Gelu::value, -3, 3, 1000);
    }
}
