package io.spindle.layers.core;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Arrays;

/**
 * One named parameter: its logical shape, the slice of it this model holds (whole on a single
 * device), its role, and views of its value and gradient inside the model's flat buffers, which
 * have the slice's shape. The views exist only after {@link ParameterSet#allocate(long)}.
 */
public final class Parameter {
    private final String name;
    private final long[] logicalShape;
    private final TensorSlice slice;
    private final long[] shape;
    private final ParameterRole role;
    private final Initializer initializer;
    private long offset = -1;
    private INDArray value;
    private INDArray grad;

    Parameter(String name, long[] logicalShape, TensorSlice slice, long[] shape, ParameterRole role,
              Initializer initializer) {
        this.name = name;
        this.logicalShape = logicalShape.clone();
        this.slice = slice;
        this.shape = shape.clone();
        this.role = role;
        this.initializer = initializer;
    }

    public String name() { return name; }

    /** The shape of the arrays this model holds: the logical shape, or its slice's. */
    public long[] shape() { return shape.clone(); }

    /** The shape of the whole tensor, as checkpoints store it. */
    public long[] logicalShape() { return logicalShape.clone(); }

    /** Which part of the logical tensor this model holds ({@link TensorSlice#WHOLE} on a single device). */
    public TensorSlice slice() { return slice; }

    public ParameterRole role() { return role; }

    /** Elements held (of the slice). */
    public long size() {
        return elements(shape);
    }

    static long elements(long[] shape) {
        long n = 1;
        for (long s : shape) n *= s;
        return n;
    }

    /** Element offset of this parameter in the flat value and gradient buffers. */
    public long offset() {
        requireAllocated();
        return offset;
    }

    /** The value, a c-order view of the flat parameter buffer with the logical shape. */
    public INDArray value() {
        requireAllocated();
        return value;
    }

    /** The gradient, a c-order view of the flat gradient buffer with the logical shape. */
    public INDArray grad() {
        requireAllocated();
        return grad;
    }

    Initializer initializer() { return initializer; }

    void bind(long offset, INDArray value, INDArray grad) {
        this.offset = offset;
        this.value = value;
        this.grad = grad;
    }

    private void requireAllocated() {
        if (value == null) {
            throw new IllegalStateException("parameter " + name + " is used before ParameterSet.allocate()");
        }
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape) + (slice.isWhole() ? "" : " of " + Arrays.toString(logicalShape)) + " " + role;
    }
}
