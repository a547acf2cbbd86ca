package io.spindle.optim;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Arrays;
import java.util.Set;

/**
 * The optimizers' view of one trainable parameter. {@code optim} may not import {@code layers},
 * so the model hands its parameters over in this neutral form: a stable name, the logical shape,
 * the role (the lower-case name of the layers' {@code ParameterRole}) and float32 row-major views
 * of the value and the gradient, usually slices of one flat buffer each.
 *
 * @param name  unique name, also the prefix of this parameter's optimizer-state tensors
 * @param shape logical shape; Muon-family optimizers read {@code [out, in]} from it
 * @param role  one of {@link #ROLES}; decides weight decay and optimizer routing
 * @param value the parameter, updated in place
 * @param grad  its gradient, read only
 * @param sums   completes sums over the parameter's elements when {@code value} is a slice of it
 *               (tensor parallelism); {@link TensorSums#WHOLE} otherwise
 * @param slices gathers the whole parameter from the holders' slices and cuts this one's back out
 *               (tensor parallelism); {@link TensorSlices#WHOLE} otherwise
 */
public record ParamSlot(String name, long[] shape, String role, INDArray value, INDArray grad, TensorSums sums,
                        TensorSlices slices) {
    public static final String MATRIX = "matrix";
    public static final String EMBEDDING = "embedding";
    public static final String HEAD = "head";
    public static final String NORM = "norm";
    public static final String BIAS = "bias";
    public static final String ATOM = "atom";
    public static final String COEFFICIENT = "coefficient";
    public static final String VECTOR = "vector";

    /** Every valid role. */
    public static final Set<String> ROLES =
            Set.of(MATRIX, EMBEDDING, HEAD, NORM, BIAS, ATOM, COEFFICIENT, VECTOR);

    public ParamSlot {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("parameter name must not be empty");
        }
        if (shape == null) {
            throw new IllegalArgumentException("parameter " + name + " has no shape");
        }
        shape = shape.clone();
        if (!ROLES.contains(role)) {
            throw new IllegalArgumentException("parameter " + name + " has role " + role
                    + "; allowed: " + ROLES);
        }
        requireView(name + " value", value, shape);
        requireView(name + " grad", grad, shape);
        if (sums == null) sums = TensorSums.WHOLE;
        if (slices == null) slices = TensorSlices.WHOLE;
    }

    /** A parameter held whole. */
    public ParamSlot(String name, long[] shape, String role, INDArray value, INDArray grad) {
        this(name, shape, role, value, grad, TensorSums.WHOLE, TensorSlices.WHOLE);
    }

    /** A copy: records expose their components, and a shared array could be changed behind our back. */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Number of elements. */
    public long size() {
        return value.length();
    }

    private static void requireView(String what, INDArray x, long[] shape) {
        ContiguousFloats.requireDense(x, what);
        if (!Arrays.equals(x.shape(), shape)) {
            throw new IllegalArgumentException(what + " has shape " + Arrays.toString(x.shape())
                    + " but the parameter's shape is " + Arrays.toString(shape));
        }
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape) + " " + role;
    }

    /** Checks that every name in {@code roles} is one of {@link #ROLES}; returns an immutable copy. */
    public static Set<String> requireRoles(Set<String> roles) {
        for (String role : roles) {
            if (!ROLES.contains(role)) {
                throw new IllegalArgumentException("decayed role " + role + " is not a role; allowed: " + ROLES);
            }
        }
        return Set.copyOf(roles);
    }
}
