package io.spindle.spark.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueType;

import java.util.Arrays;
import java.util.List;

/** Reads typed values from a resolved config, turning type errors into messages with the fix. */
final class TypedReader {
    private final Config c;

    TypedReader(Config c) {
        this.c = c;
    }

    String string(String key) {
        try {
            return c.getString(key);
        } catch (com.typesafe.config.ConfigException.WrongType e) {
            throw wrong(key, "a string, e.g. " + key + " = \"value\"");
        }
    }

    List<String> stringList(String key) {
        if (c.getValue(key).valueType() == ConfigValueType.STRING) return List.of(c.getString(key));
        try {
            List<String> list = c.getStringList(key);
            if (list.isEmpty()) throw new ConfigException(key + " is empty; give at least one path");
            return list;
        } catch (com.typesafe.config.ConfigException.WrongType e) {
            throw wrong(key, "a path or a list of paths, e.g. " + key + " = [\"data/a.txt\"]");
        }
    }

    /** A name or a list of names (possibly empty), e.g. {@code key = mamba} or {@code key = [mamba, attention]}. */
    List<String> names(String key) {
        if (c.getValue(key).valueType() == ConfigValueType.STRING) return List.of(c.getString(key));
        try {
            return c.getStringList(key);
        } catch (com.typesafe.config.ConfigException.WrongType e) {
            throw wrong(key, "a name or a list of names, e.g. " + key + " = [\"a\", \"b\"]");
        }
    }

    int intValue(String key) {
        long v = longValue(key);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw new ConfigException(key + "=" + v + " is out of range for an integer");
        }
        return (int) v;
    }

    int positiveInt(String key) {
        int v = intValue(key);
        if (v <= 0) throw new ConfigException(key + "=" + v + " must be a positive integer");
        return v;
    }

    long longValue(String key) {
        try {
            double d = c.getDouble(key);
            if (d != Math.rint(d)) throw wrong(key, "a whole number");
            return c.getLong(key);
        } catch (com.typesafe.config.ConfigException.WrongType e) {
            throw wrong(key, "a whole number, e.g. " + key + " = 100");
        }
    }

    double doubleValue(String key) {
        try {
            return c.getDouble(key);
        } catch (com.typesafe.config.ConfigException.WrongType e) {
            throw wrong(key, "a number, e.g. " + key + " = 0.5");
        }
    }

    /** A list of whole numbers ({@code []} allowed). */
    List<Integer> intList(String key) {
        try {
            List<Integer> out = new java.util.ArrayList<>();
            for (Number n : c.getNumberList(key)) {
                if (n.doubleValue() != Math.rint(n.doubleValue())) throw wrong(key, "a list of whole numbers, e.g. [8, 4, 2, 1]");
                out.add(n.intValue());
            }
            return out;
        } catch (com.typesafe.config.ConfigException.WrongType e) {
            throw wrong(key, "a list of whole numbers, e.g. " + key + " = [8, 4, 2, 1]");
        }
    }

    /** A list of numbers ({@code []} allowed). */
    List<Double> doubleList(String key) {
        try {
            return List.copyOf(c.getDoubleList(key));
        } catch (com.typesafe.config.ConfigException.WrongType e) {
            throw wrong(key, "a list of numbers, e.g. " + key + " = [1, 1, 1]");
        }
    }

    boolean bool(String key) {
        try {
            return c.getBoolean(key);
        } catch (com.typesafe.config.ConfigException.WrongType e) {
            throw wrong(key, "true or false");
        }
    }

    double positiveDouble(String key) {
        double v = doubleValue(key);
        if (!(v > 0) || !Double.isFinite(v)) throw new ConfigException(key + "=" + v + " must be a positive number");
        return v;
    }

    String oneOf(String key, String... allowed) {
        String v = string(key);
        for (String a : allowed) if (a.equalsIgnoreCase(v)) return a;
        throw new ConfigException(key + "=\"" + v + "\" is not allowed; choose one of " + Arrays.toString(allowed));
    }

    private ConfigException wrong(String key, String expected) {
        Object value = c.getValue(key).unwrapped();
        return new ConfigException(key + " = " + (value instanceof String ? "\"" + value + "\"" : value)
                + " has the wrong type; expected " + expected);
    }
}
