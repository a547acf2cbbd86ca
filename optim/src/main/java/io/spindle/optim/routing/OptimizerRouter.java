package io.spindle.optim.routing;

import io.spindle.optim.Optimizer;
import io.spindle.optim.ParamSlot;
import io.spindle.optim.state.DenseStateStore;
import io.spindle.optim.state.TensorSource;
import io.spindle.optim.state.TensorSpec;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Sends each parameter to the first {@link ParameterGroup} that selects it and steps every group's
 * optimizer over its share, at the rate the group's {@link GroupLearningRate} gives for the step: the
 * run's {@code lr} times a factor, or the group's own schedule. The usual setup is
 * {@link #matricesAndRest}: hidden matrices to a Muon-family optimizer, everything else to AdamW.
 *
 * <p>The state is the router's step count ({@code step}) plus every group's state under
 * {@code <group>/}, e.g. {@code muon/step} and {@code muon/blocks.0.wq/momentum}, so one checkpoint
 * map resumes all groups.
 */
public final class OptimizerRouter implements Optimizer {
    private static final Logger log = LoggerFactory.getLogger(OptimizerRouter.class);

    private final List<ParameterGroup> groups;
    private long step;

    public OptimizerRouter(List<ParameterGroup> groups) {
        if (groups == null || groups.isEmpty()) {
            throw new IllegalArgumentException("an optimizer router needs at least one parameter group");
        }
        Set<String> names = new HashSet<>();
        for (ParameterGroup g : groups) {
            if (!names.add(g.name())) {
                throw new IllegalArgumentException("parameter group name " + g.name() + " is used twice");
            }
        }
        this.groups = List.copyOf(groups);
    }

    /** Hidden 2-D matrices (group {@code matrices}) to {@code matrixOptimizer}, the rest (group {@code rest}) to {@code restOptimizer}. */
    public static OptimizerRouter matricesAndRest(Optimizer matrixOptimizer, GroupLearningRate matrixLr,
                                                  Optimizer restOptimizer, GroupLearningRate restLr) {
        return new OptimizerRouter(List.of(
                ParameterGroup.hiddenMatrices("matrices", matrixOptimizer, matrixLr),
                ParameterGroup.everythingElse("rest", restOptimizer, restLr)));
    }

    /** As above, both groups at the run's learning rate times their multiplier. */
    public static OptimizerRouter matricesAndRest(Optimizer matrixOptimizer, double matrixLrMultiplier,
                                                  Optimizer restOptimizer, double restLrMultiplier) {
        return matricesAndRest(matrixOptimizer, GroupLearningRate.scaled(matrixLrMultiplier), restOptimizer,
                GroupLearningRate.scaled(restLrMultiplier));
    }

    /** The groups, in selection order. */
    public List<ParameterGroup> groups() {
        return groups;
    }

    /** The group that takes {@code p}. */
    public ParameterGroup groupOf(ParamSlot p) {
        for (ParameterGroup g : groups) {
            if (g.selects().test(p)) return g;
        }
        throw new IllegalArgumentException("parameter " + p + " belongs to no parameter group; groups: " + groups);
    }

    /** {@code params} split by group, in group order; groups that take none are left out. */
    public Map<ParameterGroup, List<ParamSlot>> partition(List<ParamSlot> params) {
        Map<ParameterGroup, List<ParamSlot>> byGroup = new LinkedHashMap<>();
        for (ParameterGroup g : groups) byGroup.put(g, new ArrayList<>());
        for (ParamSlot p : params) byGroup.get(groupOf(p)).add(p);
        byGroup.values().removeIf(List::isEmpty);
        return byGroup;
    }

    /** Without the run's step, the router's own t = {@link #stepCount()} + 1 stands for it (they differ only after skipped steps). */
    @Override
    public void step(List<ParamSlot> params, double lr) {
        step(params, lr, step + 1);
    }

    @Override
    public void step(List<ParamSlot> params, double lr, long runStep) {
        Map<ParameterGroup, List<ParamSlot>> byGroup = partition(params);
        if (step == 0) {
            byGroup.forEach((g, ps) -> log.info("parameter group {}: {} parameters", g, ps.size()));
        }
        for (Map.Entry<ParameterGroup, List<ParamSlot>> e : byGroup.entrySet()) {
            ParameterGroup g = e.getKey();
            g.optimizer().step(e.getValue(), g.learningRate().at(runStep, lr), runStep);
        }
        step++;
    }

    /** Only the first group's state is read ahead: groups step in order, and the window is shared. */
    @Override
    public void prefetch() {
        groups.get(0).optimizer().prefetch();
    }

    @Override
    public void close() {
        for (ParameterGroup g : groups) g.optimizer().close();
    }

    @Override
    public long stepCount() {
        return step;
    }

    @Override
    public Map<String, INDArray> state() {
        Map<String, INDArray> out = new LinkedHashMap<>();
        out.put(DenseStateStore.STEP, Nd4j.scalar(DataType.INT64, step));
        for (ParameterGroup g : groups) {
            g.optimizer().state().forEach((k, v) -> out.put(g.name() + "/" + k, v));
        }
        return out;
    }

    @Override
    public Map<String, INDArray> stateValues() {
        Map<String, INDArray> out = new LinkedHashMap<>();
        out.put(DenseStateStore.STEP, Nd4j.scalar(DataType.INT64, step));
        for (ParameterGroup g : groups) {
            g.optimizer().stateValues().forEach((k, v) -> out.put(g.name() + "/" + k, v));
        }
        return out;
    }

    @Override
    public long stateBytes() {
        long total = 0;
        for (ParameterGroup g : groups) total += g.optimizer().stateBytes();
        return total;
    }

    /** The router's step, then every group's {@link Optimizer#stateSource} under its prefix, each read when reached. */
    @Override
    public TensorSource stateSource() {
        List<TensorSource> parts = new ArrayList<>();
        parts.add(TensorSource.of(Map.of(DenseStateStore.STEP, Nd4j.scalar(DataType.INT64, step))));
        for (ParameterGroup g : groups) parts.add(g.optimizer().stateSource().prefixed(g.name() + "/"));
        return TensorSource.concat(parts);
    }

    @Override
    public void loadState(Map<String, INDArray> tensors) {
        loadState(tensors == null ? null : TensorSource.of(tensors));
    }

    /**
     * Splits {@code tensors} by group prefix and loads each group from its share, one tensor at a
     * time where the group's store takes them so; rejects a tensor of no group before reading any.
     */
    @Override
    public void loadState(TensorSource tensors) {
        if (tensors == null || !tensors.contains(DenseStateStore.STEP)) {
            throw new IllegalArgumentException("optimizer state is missing tensor " + DenseStateStore.STEP);
        }
        Set<String> prefixes = new LinkedHashSet<>();
        for (ParameterGroup g : groups) prefixes.add(g.name());
        for (TensorSpec t : tensors.specs()) {
            if (t.name().equals(DenseStateStore.STEP)) continue;
            int cut = t.name().indexOf('/');
            if (cut < 0 || !prefixes.contains(t.name().substring(0, cut))) {
                throw new IllegalArgumentException("unexpected optimizer state tensor " + t.name()
                        + "; expected " + DenseStateStore.STEP + " and <group>/... with group in " + prefixes);
            }
        }
        INDArray stepTensor = tensors.read(DenseStateStore.STEP);
        if (stepTensor.length() != 1 || !stepTensor.dataType().isIntType() || stepTensor.getLong(0) < 0) {
            throw new IllegalArgumentException("optimizer state tensor " + DenseStateStore.STEP
                    + " must be one non-negative integer, got " + stepTensor);
        }
        for (ParameterGroup g : groups) {
            // Each group checks its own names and shapes; a group with no tensors reports its missing step.
            try {
                g.optimizer().loadState(tensors.under(g.name() + "/"));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("parameter group " + g.name() + " (tensors " + g.name()
                        + "/...): " + e.getMessage(), e);
            }
        }
        step = stepTensor.getLong(0);
    }
}
