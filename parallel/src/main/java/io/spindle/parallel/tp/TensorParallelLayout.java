package io.spindle.parallel.tp;

import io.spindle.layers.core.Buffers;
import io.spindle.layers.core.ShardLayout;
import io.spindle.layers.core.TensorSlice;
import io.spindle.parallel.comm.Communicator;
import io.spindle.parallel.comm.ReduceOp;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;

/**
 * The {@link ShardLayout} of one tensor-parallel rank: slices from the plan at this rank's TP
 * index, reductions as collectives over the TP group. The sum is one all-reduce (bit-identical on
 * every rank, so replicated values stay identical); the maximum, which the communicator does not
 * reduce, is an all-gather followed by a local maximum.
 */
final class TensorParallelLayout implements ShardLayout {
    private final TensorParallelPlan plan;
    private final Communicator group;
    private INDArray gathered;

    TensorParallelLayout(TensorParallelPlan plan, Communicator group) {
        this.plan = plan;
        this.group = group;
    }

    @Override
    public TensorSlice sliceOf(String name, long[] logicalShape) {
        return plan.sliceOf(name, logicalShape, group.rank(), group.size());
    }

    @Override
    public void sumPartials(INDArray partial) {
        if (group.size() > 1) group.allReduce(partial, ReduceOp.SUM);
    }

    @Override
    public void maxOverSlices(INDArray values) {
        int n = group.size();
        if (n == 1) return;
        int k = Math.toIntExact(values.length());
        gathered = Buffers.reuse(gathered, (long) n * k);
        group.allGather(values, gathered);
        FloatBuffer all = Buffers.floats(gathered);
        FloatBuffer out = Buffers.floats(values);
        int allOff = (int) gathered.offset();
        int outOff = (int) values.offset();
        for (int i = 0; i < k; i++) {
            float m = all.get(allOff + i);
            for (int r = 1; r < n; r++) m = Math.max(m, all.get(allOff + r * k + i));
            out.put(outOff + i, m);
        }
    }
}
