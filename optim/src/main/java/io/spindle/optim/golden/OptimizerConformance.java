package io.spindle.optim.golden;

import io.spindle.optim.Optimizer;
import io.spindle.optim.ParamSlot;
import io.spindle.optim.fp8.Fp8Format;
import io.spindle.optim.math.NewtonSchulz;
import io.spindle.optim.state.DenseStateStore;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Runs a golden-vector optimizer case through Spindle's optimizer the way training does: the
 * parameters and gradients are views into one flat buffer each, and the optimizer is the same
 * class a run uses, configured from the case's {@code hyper}. Function cases (the math the
 * optimizers are built from) run through {@link #evaluateFunction}.
 */
public final class OptimizerConformance {
    /** Function cases (kind {@code function}) this class evaluates. */
    private static final Set<String> FUNCTIONS = Set.of("newton-schulz", "fp8-e4m3", "fp8-e5m2", "coat-quantize");

    private OptimizerConformance() {}

    /** Whether {@link #evaluate} or {@link #evaluateFunction} can run cases of {@code algorithm}. */
    public static boolean supports(String algorithm) {
        return GoldenOptimizers.ALGORITHMS.contains(algorithm) || FUNCTIONS.contains(algorithm);
    }

    /**
     * Applies every step of {@code c} to its initial parameters. The optimizer is chosen from the
     * case's algorithm and variant (see {@link GoldenOptimizers}).
     *
     * @throws UnsupportedCaseException when the algorithm is not implemented
     */
    public static OptimizerResult evaluate(OptimizerCase c) {
        Optimizer optimizer = GoldenOptimizers.create(c);
        double lr = c.hyperDouble("lr");
        List<ParamSlot> params = layOut(c.initialParams());
        List<Map<String, INDArray>> after = new ArrayList<>(c.gradsPerStep().size());
        for (Map<String, INDArray> grads : c.gradsPerStep()) {
            for (ParamSlot p : params) {
                p.grad().assign(grads.get(p.name()).castTo(DataType.FLOAT));
            }
            optimizer.step(params, lr);
            Map<String, INDArray> snapshot = new LinkedHashMap<>();
            for (ParamSlot p : params) {
                snapshot.put(p.name(), p.value().dup('c'));
            }
            after.add(snapshot);
        }
        return new OptimizerResult(after, byParam(optimizer.stateValues()));
    }

    /**
     * Computes a function case in float32, as training does, and returns its results under the
     * names of the case's expected fields ({@code newton-schulz}, {@code fp8-*}: {@code output};
     * {@code coat-quantize}: {@code groups[i].k|scale|sqrt_min_max|q} and {@code dequantized}).
     *
     * @throws UnsupportedCaseException when the function is not implemented
     */
    public static Map<String, INDArray> evaluateFunction(FunctionCase c) {
        switch (c.algorithm()) {
            case "newton-schulz" -> {
                INDArray input = c.input("input").castTo(DataType.FLOAT);
                return Map.of("output", NewtonSchulz.orthogonalize(input, c.settingInt("steps")));
            }
            case "fp8-e4m3" -> {
                return Map.of("output", CoatCases.roundTrip(Fp8Format.E4M3, c.input("input")));
            }
            case "fp8-e5m2" -> {
                return Map.of("output", CoatCases.roundTrip(Fp8Format.E5M2, c.input("input")));
            }
            case "coat-quantize" -> {
                return CoatCases.quantize(c.input("input"), c.settingInt("group_size"));
            }
            default -> { }
        }
        throw new UnsupportedCaseException("function '" + c.algorithm() + "' (" + c.variant()
                + ") is not implemented; implemented: " + new TreeSet<>(FUNCTIONS));
    }

    /** Copies the case's parameters into one flat buffer, as a model lays them out; 2-D ones are matrices. */
    private static List<ParamSlot> layOut(Map<String, INDArray> initial) {
        long total = 0;
        for (INDArray p : initial.values()) total += p.length();
        INDArray values = Nd4j.zeros(DataType.FLOAT, total);
        INDArray grads = Nd4j.zeros(DataType.FLOAT, total);
        List<ParamSlot> params = new ArrayList<>(initial.size());
        long offset = 0;
        for (Map.Entry<String, INDArray> e : initial.entrySet()) {
            long[] shape = e.getValue().shape();
            long n = e.getValue().length();
            INDArray value = values.get(NDArrayIndex.interval(offset, offset + n)).reshape('c', shape);
            INDArray grad = grads.get(NDArrayIndex.interval(offset, offset + n)).reshape('c', shape);
            value.assign(e.getValue().castTo(DataType.FLOAT));
            String role = shape.length == 2 ? ParamSlot.MATRIX : ParamSlot.VECTOR;
            params.add(new ParamSlot(e.getKey(), shape, role, value, grad));
            offset += n;
        }
        return params;
    }

    /** Regroups checkpoint names {@code <param>/<slot>} into per-parameter maps, as the files store state. */
    private static Map<String, Map<String, INDArray>> byParam(Map<String, INDArray> state) {
        Map<String, Map<String, INDArray>> out = new LinkedHashMap<>();
        for (Map.Entry<String, INDArray> e : state.entrySet()) {
            if (e.getKey().equals(DenseStateStore.STEP)) continue;
            int cut = e.getKey().lastIndexOf('/');
            out.computeIfAbsent(e.getKey().substring(0, cut), k -> new LinkedHashMap<>())
                    .put(e.getKey().substring(cut + 1), e.getValue());
        }
        return out;
    }
}
