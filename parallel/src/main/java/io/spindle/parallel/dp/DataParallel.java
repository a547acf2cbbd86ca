package io.spindle.parallel.dp;

import io.spindle.parallel.comm.Communicator;
import io.spindle.parallel.comm.InProcessGroup;
import io.spindle.parallel.comm.ReduceOp;
import io.spindle.parallel.comm.WirePrecision;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Data parallelism over one DP group: every rank holds a full replica, computes the gradient of the
 * mean loss over its local batch, and {@link #sync} replaces it with the mean over the group, which
 * is the gradient of the mean loss over the global batch (local batches are equal in size). The
 * gradients live in one flat float32 buffer, so the sync is a few all-reduces over contiguous
 * buckets (views of that buffer, reduced in place) rather than one per tensor; buckets bound the
 * size of a single collective, which is what later lets a bucket be reduced while backward is still
 * producing the next one.
 *
 * <p>Because the communicator reduces in a fixed order, every rank ends with bit-identical
 * gradients; decisions taken on them (clip factor, non-finite policy) are therefore the same on
 * every rank and the replicas stay bit-identical without broadcasting parameters.
 */
public final class DataParallel implements AutoCloseable {
    /** 4 MiB buckets: large enough to be bandwidth-bound on the TCP ring (1 MiB chunks, measured-facts). */
    public static final int DEFAULT_BUCKET_BYTES = 4 << 20;

    private final Communicator group;
    private final long bucketElements;
    private final WirePrecision wire;
    private final INDArray scalar = Nd4j.create(DataType.FLOAT, 1);

    /** Gradients travel as float32: the sync is exact up to the fixed summation order. */
    public DataParallel(Communicator group, int bucketBytes) {
        this(group, bucketBytes, WirePrecision.FLOAT32);
    }

    /**
     * @param group       the DP group's communicator; this object takes ownership and closes it
     * @param bucketBytes float32 bytes per all-reduce (a multiple of 4, at least 4)
     * @param wire        element format of the gradient all-reduce on the wire; with BFLOAT16 every rank
     *                    still ends with the same gradients, so the replicas stay identical
     */
    public DataParallel(Communicator group, int bucketBytes, WirePrecision wire) {
        if (group == null) throw new IllegalArgumentException("group is null; pass the DP group's communicator");
        if (bucketBytes < 4 || bucketBytes % 4 != 0) {
            throw new IllegalArgumentException("parallel.bucketMb gives " + bucketBytes
                    + " bytes per bucket; it must be a positive whole number of float32 values (a multiple of 4)");
        }
        if (wire == null) throw new IllegalArgumentException("wire precision is null; pass FLOAT32 or BFLOAT16");
        this.group = group;
        this.bucketElements = bucketBytes / 4;
        this.wire = wire;
    }

    /** One rank alone: {@link #sync} and {@link #mean} return their input unchanged, no communication. */
    public static DataParallel single() {
        return new DataParallel(InProcessGroup.create(1).get(0), DEFAULT_BUCKET_BYTES);
    }

    public int rank() {
        return group.rank();
    }

    public int size() {
        return group.size();
    }

    /** Averages the flat (1-D) gradient buffer over the group in place, bucket by bucket. */
    public void sync(INDArray flatGrads) {
        if (flatGrads.rank() != 1) {
            // a reshape could be a copy, and averaging a copy would silently leave the gradients unsynced
            throw new IllegalArgumentException("gradient buffer has shape " + java.util.Arrays.toString(flatGrads.shape())
                    + "; pass the flat 1-D buffer ParameterSet.grads()");
        }
        if (group.size() == 1) return;
        long n = flatGrads.length();
        INDArray flat = flatGrads;
        for (long start = 0; start < n; start += bucketElements) {
            long end = Math.min(n, start + bucketElements);
            // a view over [start, end) of the same data buffer: the collective writes the average in place
            group.allReduce(flat.get(NDArrayIndex.interval(start, end)), ReduceOp.AVG, wire);
        }
    }

    /** The mean of {@code local} over the group (any rank's NaN or infinity makes every rank's result non-finite). */
    public float mean(float local) {
        if (group.size() == 1) return local;
        scalar.putScalar(0, local);
        group.allReduce(scalar, ReduceOp.AVG);
        return scalar.getFloat(0);
    }

    @Override
    public void close() {
        group.close();
    }
}
