package io.spindle.spark.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import io.spindle.layers.model.ModelConfig;
import io.spindle.layers.model.ModelFlavors;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The configuration reference (docs/config-reference.md) generated from {@code defaults.conf}: the
 * file {@link ConfigLoader} validates every config against, so the reference lists exactly the keys
 * Spindle accepts, with their defaults and the comments written beside them. A test compares the
 * committed document with this output, so the docs cannot fall behind the code.
 */
public final class ConfigReference {
    static final String DEFAULTS = "io/spindle/spark/config/defaults.conf";
    private static final ConfigRenderOptions CONCISE = ConfigRenderOptions.concise().setJson(false);

    private ConfigReference() {}

    public static String markdown() {
        Config defaults = ConfigFactory.parseResources(ConfigReference.class.getClassLoader(), DEFAULTS);
        StringBuilder out = new StringBuilder();
        out.append("# Configuration reference\n\n")
                .append("Every key Spindle reads, its default and what it means, generated from\n")
                .append("[`defaults.conf`](../spark-jobs/src/main/resources/io/spindle/spark/config/defaults.conf) by\n")
                .append("`bin/spindle config --reference > docs/config-reference.md` (`ConfigReferenceTest` fails when\n")
                .append("this file is stale). How configs are layered and validated: [configuration.md](configuration.md).\n");
        for (Map.Entry<String, ConfigValue> section : inFileOrder(defaults.root())) {
            section(out, section.getKey(), section.getValue());
            if (section.getKey().equals("model")) flavorOverrides(out);
        }
        return out.toString();
    }

    private static void section(StringBuilder out, String path, ConfigValue value) {
        out.append("\n").append("#".repeat(Math.min(2 + depth(path), 4))).append(" `").append(path).append("`\n\n");
        String note = comment(value);
        if (!note.isEmpty()) out.append(note).append("\n\n");
        List<Map.Entry<String, ConfigValue>> leaves = new ArrayList<>();
        List<Map.Entry<String, ConfigValue>> subsections = new ArrayList<>();
        for (Map.Entry<String, ConfigValue> e : inFileOrder((ConfigObject) value)) {
            boolean isSection = e.getValue().valueType() == ConfigValueType.OBJECT && !((ConfigObject) e.getValue()).isEmpty();
            (isSection ? subsections : leaves).add(e);
        }
        if (!leaves.isEmpty()) {
            out.append("| key | default | meaning |\n|---|---|---|\n");
            for (Map.Entry<String, ConfigValue> e : leaves) {
                out.append("| `").append(path).append('.').append(e.getKey()).append("` | `")
                        .append(e.getValue().render(CONCISE).replace("|", "\\|")).append("` | ")
                        .append(comment(e.getValue()).replace("|", "\\|").replace("\n", " ")).append(" |\n");
            }
        }
        for (Map.Entry<String, ConfigValue> e : subsections) section(out, path + "." + e.getKey(), e.getValue());
    }

    /** The model keys without a default of their own: each flavor's value unless set. */
    private static void flavorOverrides(StringBuilder out) {
        List<String> flavors = ModelFlavors.names().stream().sorted().toList();
        out.append("\n### `model` sizes: each flavor's value unless set\n\n| key |");
        for (String f : flavors) out.append(" `").append(f).append("` |");
        out.append("\n|---|").append("---:|".repeat(flavors.size())).append('\n');
        for (String key : ConfigLoader.MODEL_OVERRIDES) {
            out.append("| `").append(key).append("` |");
            for (String f : flavors) out.append(' ').append(flavorValue(ModelFlavors.get(f), key)).append(" |");
            out.append('\n');
        }
    }

    private static String flavorValue(ModelConfig m, String key) {
        return switch (key) {
            case "model.vocabSize" -> String.valueOf(m.vocabSize());
            case "model.dModel" -> String.valueOf(m.dModel());
            case "model.layers" -> String.valueOf(m.layers());
            case "model.heads" -> String.valueOf(m.heads());
            case "model.ffnHidden" -> String.valueOf(m.ffnHidden());
            case "model.maxSeq" -> String.valueOf(m.maxSeq());
            case "model.ropeBase" -> String.valueOf(m.ropeBase());
            case "model.normEps" -> String.valueOf(m.normEps());
            case "model.initStd" -> String.valueOf(m.initStd());
            default -> throw new IllegalStateException(key + " is a model override without a line in ConfigReference");
        };
    }

    /** A config object's entries in the order they appear in the file (HOCON objects are unordered maps). */
    private static List<Map.Entry<String, ConfigValue>> inFileOrder(ConfigObject object) {
        List<Map.Entry<String, ConfigValue>> entries = new ArrayList<>(object.entrySet());
        entries.sort(Comparator.comparingInt(e -> e.getValue().origin().lineNumber()));
        return entries;
    }

    private static String comment(ConfigValue value) {
        return String.join(" ", value.origin().comments().stream().map(String::strip).toList()).strip();
    }

    private static int depth(String path) {
        return (int) path.chars().filter(c -> c == '.').count();
    }
}
