package io.spindle.optim.golden;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One optimizer case of the golden vectors ({@code "kind": "optimizer"}), already parsed.
 *
 * @param algorithm     e.g. {@code adamw}
 * @param variant       the file's description of the exact rule
 * @param hyper         every hyperparameter, by the file's names ({@code lr}, {@code beta1}, ...)
 * @param initialParams the parameters before step 1, in the file's order
 * @param gradsPerStep  element t holds the gradients of step t + 1, one per parameter
 */
public record OptimizerCase(String algorithm, String variant, Map<String, Object> hyper,
                            Map<String, INDArray> initialParams, List<Map<String, INDArray>> gradsPerStep) {

    public OptimizerCase {
        if (algorithm == null || algorithm.isEmpty()) {
            throw new IllegalArgumentException("optimizer case has no algorithm");
        }
        hyper = Collections.unmodifiableMap(new LinkedHashMap<>(hyper));
        if (initialParams.isEmpty()) {
            throw new IllegalArgumentException(algorithm + " case has no parameters");
        }
        initialParams = Collections.unmodifiableMap(new LinkedHashMap<>(initialParams));
        if (gradsPerStep.isEmpty()) {
            throw new IllegalArgumentException(algorithm + " case has no steps");
        }
        List<Map<String, INDArray>> steps = new ArrayList<>(gradsPerStep.size());
        for (int t = 0; t < gradsPerStep.size(); t++) {
            steps.add(Collections.unmodifiableMap(new LinkedHashMap<>(gradsPerStep.get(t))));
            requireGradsMatch(algorithm, initialParams, steps.get(t), t + 1);
        }
        gradsPerStep = Collections.unmodifiableList(steps);
    }

    /** A numeric hyperparameter, with an error naming it when it is missing or not a number. */
    public double hyperDouble(String key) {
        Object value = hyper.get(key);
        if (!(value instanceof Number number)) {
            throw new IllegalArgumentException(algorithm + " case needs numeric hyperparameter '" + key
                    + "', got " + value + "; present: " + hyper.keySet());
        }
        return number.doubleValue();
    }

    /**
     * A boolean hyperparameter ({@code true}/{@code false} or their text), {@code fallback} when absent.
     */
    public boolean hyperBoolean(String key, boolean fallback) {
        Object value = hyper.get(key);
        if (value == null) return fallback;
        if (value instanceof Boolean b) return b;
        if ("true".equals(value) || "false".equals(value)) return Boolean.parseBoolean((String) value);
        throw new IllegalArgumentException(algorithm + " case hyperparameter '" + key + "' must be true or false, got " + value);
    }

    /** A whole-number hyperparameter, {@code fallback} when absent. */
    public int hyperInt(String key, int fallback) {
        if (hyper.get(key) == null) return fallback;
        double value = hyperDouble(key);
        if (value != Math.rint(value) || Math.abs(value) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(algorithm + " case hyperparameter '" + key + "' must be a whole number, got " + value);
        }
        return (int) value;
    }

    /** A numeric hyperparameter, {@code fallback} when absent. */
    public double hyperDouble(String key, double fallback) {
        return hyper.get(key) == null ? fallback : hyperDouble(key);
    }

    private static void requireGradsMatch(String algorithm, Map<String, INDArray> params,
                                          Map<String, INDArray> grads, int step) {
        if (!grads.keySet().equals(params.keySet())) {
            throw new IllegalArgumentException(algorithm + " case step " + step + " has gradients for "
                    + grads.keySet() + " but the parameters are " + params.keySet());
        }
        for (Map.Entry<String, INDArray> p : params.entrySet()) {
            long[] want = p.getValue().shape();
            long[] got = grads.get(p.getKey()).shape();
            if (!Arrays.equals(want, got)) {
                throw new IllegalArgumentException(algorithm + " case step " + step + ": gradient of " + p.getKey()
                        + " has shape " + Arrays.toString(got) + ", the parameter " + Arrays.toString(want));
            }
        }
    }
}
