package io.spindle.spark.conformance;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;

/**
 * A golden tensor, {@code {"shape": [...], "data": [row-major floats]}}, kept in float64 so that
 * expected values are compared at the precision they were computed in.
 */
public record GoldenTensor(long[] shape, double[] data) {
    public GoldenTensor {
        long n = 1;
        for (long s : shape) {
            if (s < 0) throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            n *= s;
        }
        if (n != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + n + " values but data has "
                    + data.length);
        }
        shape = shape.clone();
        data = data.clone();
    }

    /** A new c-order float64 array. */
    public INDArray toINDArray() {
        if (shape.length == 0) return Nd4j.scalar(data[0]);
        return Nd4j.create(data.clone(), shape, DataType.DOUBLE);
    }

    /** Element i in row-major order as a multi-index, e.g. {@code [1,0,3]}. */
    String index(long i) {
        if (shape.length == 0) return "";
        long[] idx = new long[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = shape[d] == 0 ? 0 : i % shape[d];
            i = shape[d] == 0 ? 0 : i / shape[d];
        }
        StringBuilder sb = new StringBuilder("[");
        for (int d = 0; d < idx.length; d++) sb.append(d == 0 ? "" : ",").append(idx[d]);
        return sb.append(']').toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GoldenTensor t && Arrays.equals(shape, t.shape) && Arrays.equals(data, t.data);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(shape) + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "GoldenTensor" + Arrays.toString(shape);
    }
}
