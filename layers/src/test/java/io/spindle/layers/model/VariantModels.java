package io.spindle.layers.model;

import io.spindle.layers.core.Parameter;
import io.spindle.layers.core.ParameterRole;
import io.spindle.layers.testing.FiniteDifference;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Shared helpers of the model-variant tests. */
final class VariantModels {
    static final int BATCH = 2, SEQ = 5, VOCAB = 13;

    private VariantModels() {}

    static int[] ids(SplittableRandom random, int n) {
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = random.nextInt(VOCAB);
        return ids;
    }

    /** Every parameter by name (copies). */
    static Map<String, INDArray> snapshot(TransformerLM model) {
        Map<String, INDArray> out = new LinkedHashMap<>();
        for (Parameter p : model.parameters().parameters()) out.put(p.name(), p.value().dup());
        return out;
    }

    /** The current gradients by name (copies). */
    static Map<String, INDArray> gradients(TransformerLM model) {
        Map<String, INDArray> out = new LinkedHashMap<>();
        for (Parameter p : model.parameters().parameters()) out.put(p.name(), p.grad().dup());
        return out;
    }

    /** Norm gains away from 1 and unit-scale embeddings, so finite differences see every path (as TransformerLMTest). */
    static void spreadNormsAndEmbeddings(TransformerLM model, SplittableRandom random) {
        for (Parameter p : model.parameters().parameters()) {
            if (p.role() == ParameterRole.NORM) p.value().assign(FiniteDifference.normal(random, 1, p.shape()).addi(1f));
            if (p.role() == ParameterRole.EMBEDDING) p.value().assign(FiniteDifference.normal(random, 1, p.shape()));
        }
    }

    /**
     * Finite-difference check of the selected sub-model's mean-loss gradient along gradients: once
     * for all parameters together, then for each parameter whose own change is large enough to
     * measure. A whole model's mean loss is a float32 number near 2.6 whose rounding moves a
     * five-point difference quotient by up to ~6e-5 at this step, which swamps the small
     * directional derivatives along random directions (and of some norm gains); along the gradient
     * the change is |g|²/max|g|, and a gradient with a wrong term points elsewhere. Checks entry by
     * entry along random directions are the layer tests' job, where losses are sums of O(1) terms.
     */
    static void checkGradients(TransformerLM model, SplittableRandom random) {
        int[] inputs = ids(random, BATCH * SEQ), targets = ids(random, BATCH * SEQ);
        model.parameters().zeroGrads();
        model.forwardLoss(inputs, targets, BATCH, SEQ);
        model.backward();
        java.util.function.DoubleSupplier loss = () -> model.forwardLoss(inputs, targets, BATCH, SEQ);
        alongGradient("all parameters", model.parameters().values(), model.parameters().grads().dup(), loss, 0);
        int checked = 0;
        for (Parameter p : model.parameters().parameters()) {
            if (alongGradient("d" + p.name(), p.value(), p.grad().dup(), loss, 1e-2)) checked++;
        }
        org.junit.jupiter.api.Assertions.assertTrue(checked > 0, "no parameter has a measurable gradient");
    }

    /** Checks the derivative along g/max|g|; false (unchecked) when it is below {@code minSignal}. */
    private static boolean alongGradient(String what, INDArray target, INDArray g, java.util.function.DoubleSupplier loss,
                                         double minSignal) {
        double max = g.amaxNumber().doubleValue();
        if (max == 0) return false;
        INDArray u = g.div(max);
        double analytic = FiniteDifference.dot(g, u);
        if (analytic < minSignal) return false;
        double numeric = FiniteDifference.directionalDerivative(target, u, loss, 3e-3);
        double err = Math.abs(analytic - numeric) / Math.max(Math.abs(analytic), Math.abs(numeric));
        org.junit.jupiter.api.Assertions.assertTrue(err < 1e-2, what + ": analytic " + analytic
                + " vs finite difference " + numeric + " (relative error " + err + ")");
        return true;
    }

    /** A sub-model's loss and its gradients computed on their own. */
    record Pass(float loss, Map<String, INDArray> grads) {}

    /** Loss and gradients of the sub-model {@code select} chooses, from zeroed gradients. */
    static Pass pass(TransformerLM model, Runnable select, int[] inputs, int[] targets) {
        model.parameters().zeroGrads();
        select.run();
        float loss = model.forwardLoss(inputs, targets, BATCH, SEQ);
        model.backward();
        return new Pass(loss, gradients(model));
    }

    /** sum_i weights[i] · grads[i], name by name. */
    static Map<String, INDArray> weightedSum(List<Pass> passes, List<Double> weights) {
        Map<String, INDArray> sum = new LinkedHashMap<>();
        for (int i = 0; i < passes.size(); i++) {
            double w = weights.get(i);
            passes.get(i).grads().forEach((name, g) -> sum.merge(name, g.mul(w), INDArray::add));
        }
        return sum;
    }

    static void assertClose(Map<String, INDArray> want, Map<String, INDArray> got, double tol) {
        assertEquals(want.keySet(), got.keySet());
        for (String name : want.keySet()) {
            assertEquals(0.0, want.get(name).sub(got.get(name)).amaxNumber().doubleValue(), tol, name);
        }
    }
}
