package io.spindle.spark.config;

/**
 * A config problem found before any Spark work: names the key, the bad value and what is allowed.
 * The CLI turns it into exit code 2.
 */
public class ConfigException extends IllegalArgumentException {
    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
