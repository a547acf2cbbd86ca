package io.spindle.spark.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import io.spindle.layers.golden.LayerCase;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One case of a golden file, validated against the schema when read.
 *
 * <p>{@link #expected()} flattens what the case expects into named tensors: objects become
 * dotted paths, list items {@code [i]}, numbers scalar tensors and lists of numbers 1-D tensors.
 * For a layer case the names are {@code outputs.<name>} and {@code grads.<name>}; for an optimizer
 * case they are the paths inside {@code expected}, e.g. {@code params_after_each_step[0].p0} or
 * {@code state_after_last_step.p0.m}; for a function case they are every field of the case other
 * than {@code input}/{@code inputs} and top-level scalars (which are settings such as {@code steps}),
 * e.g. {@code output} or {@code groups[2].scale}. An evaluator returns its results under the same names.
 *
 * @param name      the case's display name (file path relative to the root, plus {@code #k} in multi-case files)
 * @param file      the file it came from
 * @param kind      {@code layer}, {@code optimizer} or {@code function}
 * @param subject   the layer name or the algorithm name
 * @param body      the case's JSON object (for a multi-case file, the element of {@code cases})
 * @param tolerance the file's acceptance rule
 * @param layerCase the parsed layer case, or null for other kinds
 * @param expected  expected tensors by flattened name, in file order
 */
public record GoldenCase(String name, Path file, String kind, String subject, JsonNode body, Tolerance tolerance,
                         LayerCase layerCase, Map<String, GoldenTensor> expected) {
    public GoldenCase {
        expected = Collections.unmodifiableMap(new LinkedHashMap<>(expected));
    }
}
