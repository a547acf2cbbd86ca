package io.spindle.layers.core;

import java.util.Arrays;

/**
 * The part of a logical tensor one model instance holds: along axis {@code dim}, the
 * {@code index}-th of {@code count} equal contiguous pieces. {@link #WHOLE} (count 1) is the whole
 * tensor, what every single-device model holds. Values move between the logical c-order layout
 * and a slice's own c-order layout with {@link #copyOut} and {@link #copyIn}.
 */
public record TensorSlice(int dim, int index, int count) {
    public static final TensorSlice WHOLE = new TensorSlice(0, 0, 1);

    public TensorSlice {
        if (dim < 0) throw new IllegalArgumentException("slice axis dim=" + dim + " must be >= 0");
        if (count < 1 || index < 0 || index >= count) {
            throw new IllegalArgumentException("slice index=" + index + " of count=" + count + " is outside [0, count)");
        }
    }

    public boolean isWhole() {
        return count == 1;
    }

    /** The slice's shape within {@code logical}; fails naming {@code name} when the axis does not split evenly. */
    public long[] localShape(String name, long[] logical) {
        if (isWhole()) return logical.clone();
        if (dim >= logical.length) {
            throw new IllegalArgumentException(name + Arrays.toString(logical) + " has no axis " + dim + " to split");
        }
        if (logical[dim] % count != 0) {
            throw new IllegalArgumentException(name + Arrays.toString(logical) + ": axis " + dim + " (size " + logical[dim]
                    + ") does not split into " + count + " equal slices; choose sizes divisible by " + count);
        }
        long[] local = logical.clone();
        local[dim] = logical[dim] / count;
        return local;
    }

    /** The first index along {@link #dim} that this slice holds. */
    public long start(long[] logical) {
        return isWhole() ? 0 : index * (logical[dim] / count);
    }

    /** Copies this slice of {@code logical} (shape {@code logicalShape}, c-order) into {@code local}. */
    public void copyOut(float[] logical, long[] logicalShape, float[] local) {
        walk(logicalShape, (logicalAt, localAt, len) -> System.arraycopy(logical, logicalAt, local, localAt, len));
    }

    /** Copies {@code local} into this slice's place in {@code logical} (shape {@code logicalShape}, c-order). */
    public void copyIn(float[] local, long[] logicalShape, float[] logical) {
        walk(logicalShape, (logicalAt, localAt, len) -> System.arraycopy(local, localAt, logical, logicalAt, len));
    }

    private interface Run {
        void copy(int logicalAt, int localAt, int len);
    }

    /** The slice is one contiguous run of {@code pieceLen·inner} floats per index of the axes before {@code dim}. */
    private void walk(long[] shape, Run run) {
        if (isWhole()) {
            run.copy(0, 0, Math.toIntExact(size(shape, 0, shape.length)));
            return;
        }
        long outer = size(shape, 0, dim);
        long inner = size(shape, dim + 1, shape.length);
        long axis = shape[dim];
        long piece = axis / count;
        int len = Math.toIntExact(piece * inner);
        for (long o = 0; o < outer; o++) {
            run.copy(Math.toIntExact((o * axis + index * piece) * inner), Math.toIntExact(o * len), len);
        }
    }

    private static long size(long[] shape, int from, int to) {
        long n = 1;
        for (int i = from; i < to; i++) n *= shape[i];
        return n;
    }
}
