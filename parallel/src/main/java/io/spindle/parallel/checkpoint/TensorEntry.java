package io.spindle.parallel.checkpoint;

import java.util.Arrays;

/**
 * Where one tensor lives in a checkpoint: its logical name and shape, the shard file, the byte
 * range inside it and the CRC32C of those bytes. {@code group} separates model parameters from
 * optimizer state. Tensors are stored unsharded by logical shape, so any mesh can load them.
 */
public record TensorEntry(String name, String group, long[] shape, String dtype, String file, long offset,
                          long bytes, long crc32c) {
    public TensorEntry {
        shape = shape.clone();
    }

    public long elements() {
        long n = 1;
        for (long s : shape) n *= s;
        return n;
    }

    @Override
    public long[] shape() { return shape.clone(); }

    @Override
    public String toString() {
        return group + ":" + name + Arrays.toString(shape);
    }
}
