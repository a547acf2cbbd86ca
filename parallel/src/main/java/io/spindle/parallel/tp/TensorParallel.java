package io.spindle.parallel.tp;

import io.spindle.layers.core.Parameter;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.core.ShardLayout;
import io.spindle.optim.Optimizer;
import io.spindle.optim.TensorSlices;
import io.spindle.optim.TensorSums;
import io.spindle.optim.clip.GradientClipping;
import io.spindle.optim.state.TensorSource;
import io.spindle.parallel.comm.Communicator;
import io.spindle.parallel.comm.InProcessGroup;
import io.spindle.parallel.comm.ReduceOp;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Map;

/**
 * One rank's tensor-parallel group (DeviceMesh's TP group): the {@link ShardLayout} a model is
 * built with, so the rank holds the slices {@link TensorParallelPlan} assigns it, and the
 * rank-level steps that must see every slice: the global gradient norm for clipping and the
 * logical tensors of a checkpoint. With one rank everything is the single-device behaviour
 * exactly: the layout is {@link ShardLayout#WHOLE} and nothing is communicated.
 */
public final class TensorParallel implements AutoCloseable {
    private final Communicator group;
    private final TensorParallelPlan plan;
    private final ShardLayout layout;
    private final INDArray scalar = Nd4j.create(DataType.FLOAT, 1);

    /** @param group the TP group's communicator; this object takes ownership and closes it */
    public TensorParallel(Communicator group, TensorParallelPlan plan) {
        if (group == null) throw new IllegalArgumentException("group is null; pass the TP group's communicator");
        if (plan == null) throw new IllegalArgumentException("plan is null; e.g. TensorParallelPlan.megatron()");
        this.group = group;
        this.plan = plan;
        this.layout = group.size() == 1 ? ShardLayout.WHOLE : new TensorParallelLayout(plan, group);
    }

    /** One rank holding the whole model: no communication. */
    public static TensorParallel single() {
        return new TensorParallel(InProcessGroup.create(1).get(0), TensorParallelPlan.megatron());
    }

    public int rank() {
        return group.rank();
    }

    public int size() {
        return group.size();
    }

    public TensorParallelPlan plan() {
        return plan;
    }

    /** What to build this rank's model with: {@code new TransformerLM(config, seed, layout())}. */
    public ShardLayout layout() {
        return layout;
    }

    /**
     * Clips the gradients of {@code params} by the global norm of the <em>logical</em> model's
     * gradient and returns that norm: squares of sliced gradients are summed over the group (each
     * element lives on one rank), those of replicated parameters counted once (they are identical
     * on every rank). Every rank gets the same norm, so all take the same clip factor.
     */
    public double clipGlobalNorm(ParameterSet params, double maxNorm) {
        if (group.size() == 1) return GradientClipping.clipGlobalNorm(params.grads(), maxNorm);
        double sliced = 0;
        double replicated = 0;
        for (Parameter p : params.parameters()) {
            double s = GradientClipping.sumOfSquares(p.grad());
            if (p.slice().isWhole()) replicated += s;
            else sliced += s;
        }
        scalar.putScalar(0, (float) sliced);
        group.allReduce(scalar, ReduceOp.SUM);
        double norm = Math.sqrt(replicated + scalar.getFloat(0));
        GradientClipping.clipToNorm(params.grads(), norm, maxNorm);
        return norm;
    }

    /**
     * How an optimizer completes sums over parameter {@code p}'s elements (LAMB's norms): over the
     * group when this rank holds a slice of it (every rank of the group takes the step, so every rank
     * calls it for the same parameters in the same order), as they are when it holds it whole.
     */
    public TensorSums sumsOf(Parameter p) {
        if (group.size() == 1 || p.slice().isWhole()) return TensorSums.WHOLE;
        return partial -> {
            INDArray sums = Nd4j.create(DataType.FLOAT, partial.length);
            for (int i = 0; i < partial.length; i++) sums.putScalar(i, (float) partial[i]);
            group.allReduce(sums, ReduceOp.SUM);
            for (int i = 0; i < partial.length; i++) partial[i] = sums.getFloat(i);
        };
    }

    /**
     * How an optimizer gets parameter {@code p} whole (the Muon family's orthogonalization): an
     * all-gather over the group when this rank holds a slice, then its own slice cut back out.
     */
    public TensorSlices slicesOf(Parameter p) {
        if (group.size() == 1 || p.slice().isWhole()) return TensorSlices.WHOLE;
        return new TensorSlices() {
            @Override
            public boolean whole() { return false; }

            @Override
            public INDArray gather(INDArray local) {
                return LogicalTensors.gather(local, p.slice(), p.logicalShape(), group);
            }

            @Override
            public INDArray cut(INDArray whole) {
                return LogicalTensors.slice(whole, p.slice());
            }
        };
    }

    /** The model's parameters at logical shapes (a collective: every rank of the group calls it). */
    public Map<String, INDArray> logicalParameters(ParameterSet params) {
        return LogicalTensors.model(params, group);
    }

    /**
     * The optimizer's state at logical shapes for a checkpoint, read a tensor at a time as the
     * writer reaches it (offloaded state is never gathered in memory). With tensor parallelism each
     * sliced tensor is all-gathered when produced: every rank of the group must produce the source,
     * the writer's rank by writing it, the others by {@link TensorSource#produce} of everything.
     */
    public TensorSource logicalOptimizerState(Optimizer optimizer, ParameterSet params) {
        if (group.size() == 1) return optimizer.stateSource();
        return LogicalTensors.optimizerState(optimizer.stateSource(), params, group);
    }

    /**
     * Loads optimizer state stored at logical shapes into {@code optimizer} a tensor at a time; with
     * tensor parallelism this rank's slice is cut from each tensor as it is read.
     */
    public void loadOptimizerState(Optimizer optimizer, TensorSource logical, ParameterSet params) {
        optimizer.loadState(group.size() == 1 ? logical : LogicalTensors.localOptimizerState(logical, params));
    }

    @Override
    public void close() {
        group.close();
    }
}
