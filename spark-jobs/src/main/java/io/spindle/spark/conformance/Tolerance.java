package io.spindle.spark.conformance;

/** The golden README's acceptance rule: {@code |got − want| <= atol + rtol·|want|}. */
public record Tolerance(double rtol, double atol) {
    public Tolerance {
        if (!(rtol >= 0) || !(atol >= 0)) {
            throw new IllegalArgumentException("tolerance rtol=" + rtol + ", atol=" + atol + " must be non-negative numbers");
        }
    }

    /** False for NaN or infinite {@code got} unless it equals {@code want} exactly. */
    public boolean accepts(double got, double want) {
        if (got == want) return true;
        return Math.abs(got - want) <= atol + rtol * Math.abs(want);
    }

    @Override
    public String toString() {
        return "atol " + atol + " + rtol " + rtol + "·|want|";
    }
}
