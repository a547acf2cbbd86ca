package io.spindle.optim.golden;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One case of a golden {@code "kind": "function"} file, already parsed: a small function the
 * optimizers are built from (Newton–Schulz, FP8 rounding, COAT quantization).
 *
 * @param algorithm the file's {@code algorithm}, e.g. {@code newton-schulz}
 * @param variant   the file's description of the exact rule
 * @param settings  the case's top-level scalars, e.g. {@code steps}
 * @param inputs    the case's input tensors; a single {@code input} is named {@code input}
 */
public record FunctionCase(String algorithm, String variant, Map<String, Double> settings, Map<String, INDArray> inputs) {
    public FunctionCase {
        if (algorithm == null || algorithm.isEmpty()) {
            throw new IllegalArgumentException("function case has no algorithm");
        }
        settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
        inputs = Collections.unmodifiableMap(new LinkedHashMap<>(inputs));
    }

    /** The input tensor {@code name}, with an error naming what is present. */
    public INDArray input(String name) {
        INDArray x = inputs.get(name);
        if (x == null) {
            throw new IllegalArgumentException(algorithm + " case needs input '" + name + "'; present: " + inputs.keySet());
        }
        return x;
    }

    /** A whole-number setting, with an error naming it when it is missing or fractional. */
    public int settingInt(String key) {
        Double value = settings.get(key);
        if (value == null || value != Math.rint(value) || Math.abs(value) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(algorithm + " case needs whole-number setting '" + key + "', got "
                    + value + "; present: " + settings.keySet());
        }
        return value.intValue();
    }
}
