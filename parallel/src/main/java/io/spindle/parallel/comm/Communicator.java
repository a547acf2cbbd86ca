package io.spindle.parallel.comm;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Collectives over a fixed group of ranks. Every rank of the group must call the same collectives in
 * the same order with the same element counts; a mismatch fails with {@link CommunicatorException}
 * instead of mixing data. Arrays are float32, c-order and contiguous (views with an offset into a
 * flat parameter or gradient buffer are fine).
 *
 * <p>Reductions combine ranks in a fixed order (segment j of the buffer is summed starting at rank
 * j+1 and going round the ring to rank j), so results are bit-identical from run to run and between
 * the TCP and in-process implementations.
 *
 * <p>A communicator belongs to one rank's thread: calls must not overlap, and {@link #close()} is
 * called by that thread (or after it has stopped using the communicator).
 */
public interface Communicator extends AutoCloseable {

    /** This rank's index in the group, 0-based. */
    int rank();

    /** Number of ranks in the group. */
    int size();

    /** Reduces {@code buf} over all ranks in place, moving float32 on the wire. */
    default void allReduce(INDArray buf, ReduceOp op) {
        allReduce(buf, op, WirePrecision.FLOAT32);
    }

    /**
     * Reduces {@code buf} over all ranks in place. With {@link WirePrecision#BFLOAT16} every rank
     * ends with the same bf16-representable values (the result is rounded once more at its owner).
     */
    void allReduce(INDArray buf, ReduceOp op, WirePrecision wire);

    /**
     * {@code in} has {@code size()·k} elements, {@code out} has k; rank r receives the reduction of
     * every rank's r-th chunk of {@code in}. {@code in} is left unchanged.
     */
    void reduceScatter(INDArray in, INDArray out, ReduceOp op);

    /** {@code in} has k elements, {@code out} has {@code size()·k}; chunk r of out is rank r's in. */
    void allGather(INDArray in, INDArray out);

    /** Copies {@code buf} of rank {@code root} into {@code buf} of every other rank. */
    void broadcast(INDArray buf, int root);

    /** Returns only when every rank of the group has entered the barrier. */
    void barrier();

    /** Releases sockets and buffers; a collective in progress on a peer then fails promptly. */
    @Override
    void close();
}
