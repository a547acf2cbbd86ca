package io.spindle.layers.kan;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/** Test coefficients for finite-difference checks through group rationals. */
public final class SmoothRationals {
    private SmoothRationals() {}

    /**
     * Coefficients where R is differentiable along every finite-difference path: a finite step must
     * not straddle the kink of |b| at b = 0, so a denominator {@code [groups, 4]} is moved at least
     * 0.05 away from it; a numerator {@code [groups, 6]} gets P(0) = a_0 = 0, which removes R's kink
     * at x = 0 (its one-sided slopes differ by 2|b_1| a_0). Returns a new array.
     */
    public static INDArray smooth(INDArray coefficients) {
        INDArray c = coefficients.dup('c');
        if (c.size(1) == RationalFit.DEN) return c.addi(Transforms.sign(c).mul(0.05));
        c.getColumn(0).assign(0);
        return c;
    }
}
