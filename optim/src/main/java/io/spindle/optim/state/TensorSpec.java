package io.spindle.optim.state;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Arrays;
import java.util.Objects;

/**
 * What a {@link TensorSource} says about a tensor before producing it: its name, element type and
 * shape. Enough to lay out a checkpoint or an offload file, and to check names, types and shapes,
 * before any value is read.
 */
public record TensorSpec(String name, DataType dtype, long[] shape) {
    public TensorSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype of " + name);
        shape = shape.clone();
    }

    /** The spec of an existing tensor. */
    public static TensorSpec of(String name, INDArray tensor) {
        return new TensorSpec(name, tensor.dataType(), tensor.shape());
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** The same tensor under another name. */
    public TensorSpec renamed(String newName) {
        return new TensorSpec(newName, dtype, shape);
    }

    public long elements() {
        long n = 1;
        for (long s : shape) n = Math.multiplyExact(n, s);
        return n;
    }

    /** Whether {@code tensor} has this spec's type and shape. */
    public boolean matches(INDArray tensor) {
        return tensor.dataType() == dtype && Arrays.equals(tensor.shape(), shape);
    }

    /**
     * Checks that a source produced what it announced; a mismatch is a bug in the source, not bad
     * input, and would otherwise corrupt a checkpoint or an offload file silently.
     */
    public void requireMatches(INDArray tensor) {
        if (!matches(tensor)) {
            throw new IllegalStateException("tensor " + name + " was announced as " + dtype + Arrays.toString(shape)
                    + " but produced as " + tensor.dataType() + Arrays.toString(tensor.shape()));
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorSpec t && name.equals(t.name) && dtype == t.dtype && Arrays.equals(shape, t.shape);
    }

    @Override
    public int hashCode() {
        return 31 * Objects.hash(name, dtype) + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape);
    }
}
