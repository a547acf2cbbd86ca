package io.spindle.spark.conformance;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Map;
import java.util.ServiceLoader;

/**
 * Evaluates golden cases of kind {@code optimizer} and {@code function} (optimizer steps and the
 * small functions they are built from: Newton–Schulz, FP8 rounding, COAT quantization). The
 * runner finds an implementation with {@link ServiceLoader} (a
 * {@code META-INF/services/io.spindle.spark.conformance.OptimizerCases} entry); without one, every
 * such case fails as not implemented.
 */
public interface OptimizerCases {
    /** Whether {@link #evaluate} handles cases whose {@code algorithm} is this name. */
    boolean supports(String algorithm);

    /**
     * Runs the case (inputs and settings are in {@link GoldenCase#body()}) and returns the computed
     * tensors under the names of {@link GoldenCase#expected()}; every expected name must be present.
     */
    Map<String, INDArray> evaluate(GoldenCase c);

    /** Supports nothing. */
    OptimizerCases NONE = new OptimizerCases() {
        @Override
        public boolean supports(String algorithm) {
            return false;
        }

        @Override
        public Map<String, INDArray> evaluate(GoldenCase c) {
            // The runner asks supports() first; reaching this is a bug in the caller.
            throw new IllegalStateException("evaluate() called for " + c.name() + " although supports() said no");
        }
    };

    /** The first implementation registered through {@link ServiceLoader}, else {@link #NONE}. */
    static OptimizerCases discover() {
        return ServiceLoader.load(OptimizerCases.class).findFirst().orElse(NONE);
    }
}
