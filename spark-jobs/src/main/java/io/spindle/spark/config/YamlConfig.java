package io.spindle.spark.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

import java.io.File;
import java.io.IOException;
import java.util.Map;

/**
 * Reads a YAML config file into the same config tree as HOCON, so both formats share one set of
 * keys, defaults, overrides and validation. Nested mappings and dotted keys both work.
 */
final class YamlConfig {
    private static final YAMLMapper YAML = new YAMLMapper();

    private YamlConfig() {}

    static Config parse(File file) {
        Map<String, Object> tree;
        try {
            tree = YAML.readValue(file, new TypeReference<>() {});
        } catch (JacksonException e) {
            throw new ConfigException("config file " + file + " is not valid YAML: " + e.getOriginalMessage()
                    + (e.getLocation() != null ? " (line " + e.getLocation().getLineNr() + ")" : ""), e);
        } catch (IOException e) {
            throw new ConfigException("config file " + file + " cannot be read: " + e.getMessage(), e);
        }
        return tree == null ? ConfigFactory.empty() : ConfigFactory.parseMap(tree, file.toString());
    }
}
