package io.spindle.optim;

/**
 * Completes sums over one parameter's elements (the squared norms an update may be scaled by) when
 * this process holds only a slice of the parameter: tensor parallelism supplies one that adds the
 * holders' partial sums, so an optimizer stays single-device code. {@link #WHOLE}, for a parameter
 * held whole, leaves the sums as they are.
 */
@FunctionalInterface
public interface TensorSums {
    TensorSums WHOLE = partial -> { };

    /** Replaces each of {@code partial}'s sums over this slice by the sum over the whole parameter. */
    void complete(double[] partial);
}
