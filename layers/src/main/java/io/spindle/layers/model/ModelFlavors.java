package io.spindle.layers.model;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Named model sizes, one registry as in torchtitan's flavors, so configs say {@code tiny} instead
 * of repeating six numbers. The vocabulary of 258 is the 256 byte values plus two specials.
 */
public final class ModelFlavors {
    private static final Map<String, ModelConfig> FLAVORS = new LinkedHashMap<>();

    static {
        // ≈0.92M parameters: runs in seconds on a laptop CPU.
        register(new ModelConfig("tiny", 258, 128, 4, 4, 384, 256, 10_000, 1e-5, 0.02));
        // ≈10.8M parameters.
        register(new ModelConfig("small", 258, 384, 6, 6, 1024, 256, 10_000, 1e-5, 0.02));
    }

    private ModelFlavors() {}

    private static void register(ModelConfig config) {
        FLAVORS.put(config.flavor(), config);
    }

    /** The flavor called {@code name}; unknown names are rejected with the list of known ones. */
    public static ModelConfig get(String name) {
        ModelConfig config = FLAVORS.get(name);
        if (config == null) {
            throw new IllegalArgumentException("unknown model flavor '" + name + "'; known flavors: "
                    + String.join(", ", FLAVORS.keySet()));
        }
        return config;
    }

    /** Known flavor names in registration order. */
    public static Set<String> names() {
        return Collections.unmodifiableSet(FLAVORS.keySet());
    }
}
