package io.tessera.core.config;

import io.tessera.core.ConfigException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A YAML mapping with its path from the document root, so that every validation error names the
 * exact place ({@code order.window: must be ≥ 2, got 0}). Read keys are remembered:
 * {@link #rejectUnknown()} then fails on any key nobody read (a typo never becomes a silent default).
 */
public final class ConfigNode {
    private final String path;
    private final Map<String, Object> values;
    private final Set<String> read = new TreeSet<>();

    public ConfigNode(String path, Map<?, ?> values) {
        this.path = path;
        this.values = new LinkedHashMap<>();
        if (values != null) {
            this.values.putAll(stringKeys(path, values));
        }
    }

    /** The mapping with its keys as strings; two keys that read the same (YAML {@code 1} and {@code "1"}) are refused. */
    private static Map<String, Object> stringKeys(String path, Map<?, ?> m) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
            String k = String.valueOf(e.getKey());
            if (out.containsKey(k)) {
                throw new ConfigException((path.isEmpty() ? k : path + "." + k) + ": duplicate key '" + k
                        + "' (each key may appear once in a mapping)");
            }
            out.put(k, e.getValue());
        }
        return out;
    }

    public static ConfigNode empty(String path) {
        return new ConfigNode(path, Map.of());
    }

    /** Path of this node ("" for the root). */
    public String path() {
        return path;
    }

    /** Path of a key of this node, for messages. */
    public String pathOf(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    public Map<String, Object> raw() {
        return Collections.unmodifiableMap(values);
    }

    public boolean has(String key) {
        return values.containsKey(key) && values.get(key) != null;
    }

    /** Sets or replaces a value (used by {@code --set} overrides and programmatic pipelines). */
    public void put(String key, Object value) {
        values.put(key, value);
    }

    public ConfigException error(String key, String message) {
        return new ConfigException(pathOf(key) + ": " + message);
    }

    private Object get(String key) {
        read.add(key);
        return values.get(key);
    }

    public ConfigNode child(String key) {
        Object v = get(key);
        if (v == null) {
            return new ConfigNode(pathOf(key), Map.of());
        }
        if (v instanceof Map<?, ?> m) {
            ConfigNode node = new ConfigNode(pathOf(key), stringKeys(pathOf(key), m));
            values.put(key, node);
            return node;
        }
        if (v instanceof ConfigNode n) {
            return n;
        }
        throw error(key, "must be a mapping, got " + describe(v));
    }

    public String string(String key) {
        Object v = get(key);
        if (v == null) {
            throw error(key, "is required");
        }
        if (v instanceof Map || v instanceof List) {
            throw error(key, "must be a string, got " + describe(v));
        }
        return String.valueOf(v);
    }

    public String string(String key, String def) {
        return has(key) ? string(key) : markRead(key, def);
    }

    public long integer(String key) {
        Object v = get(key);
        if (v == null) {
            throw error(key, "is required");
        }
        if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
            return ((Number) v).longValue();
        }
        if (v instanceof String s) {
            try {
                return Long.parseLong(s.trim());
            } catch (NumberFormatException e) {
                throw error(key, "must be an integer, got '" + s + "'");
            }
        }
        throw error(key, "must be an integer, got " + describe(v));
    }

    public long integer(String key, long def) {
        return has(key) ? integer(key) : markRead(key, def);
    }

    public int intIn(String key, long def, long min, long max) {
        long v = integer(key, def);
        if (v < min || v > max) {
            throw error(key, "must be in [" + min + ", " + max + "], got " + v);
        }
        return (int) v;
    }

    public int intAtLeast(String key, long def, long min) {
        long v = integer(key, def);
        if (v < min) {
            throw error(key, "must be ≥ " + min + ", got " + v);
        }
        if (v > Integer.MAX_VALUE) {
            throw error(key, "is too large: " + v);
        }
        return (int) v;
    }

    /** A finite number ({@code .inf} and {@code .nan} are refused: no Tessera option means them). */
    public double number(String key) {
        Object v = get(key);
        if (v == null) {
            throw error(key, "is required");
        }
        double d;
        if (v instanceof Number n) {
            d = n.doubleValue();
        } else if (v instanceof String s) {
            try {
                d = Double.parseDouble(s.trim());
            } catch (NumberFormatException e) {
                throw error(key, "must be a number, got '" + s + "'");
            }
        } else {
            throw error(key, "must be a number, got " + describe(v));
        }
        if (!Double.isFinite(d)) {
            throw error(key, "must be a finite number, got " + d);
        }
        return d;
    }

    public double number(String key, double def) {
        return has(key) ? number(key) : markRead(key, def);
    }

    public boolean bool(String key, boolean def) {
        if (!has(key)) {
            return markRead(key, def);
        }
        Object v = get(key);
        if (v instanceof Boolean b) {
            return b;
        }
        if (v instanceof String s && (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false"))) {
            return Boolean.parseBoolean(s);
        }
        throw error(key, "must be true or false, got " + describe(v));
    }

    public List<Long> intList(String key) {
        Object v = get(key);
        if (v == null) {
            throw error(key, "is required");
        }
        List<Long> out = new ArrayList<>();
        if (v instanceof List<?> l) {
            for (int i = 0; i < l.size(); i++) {
                Object e = l.get(i);
                if (e instanceof Number n && !(e instanceof Double || e instanceof Float)) {
                    out.add(n.longValue());
                } else {
                    throw new ConfigException(pathOf(key) + "[" + i + "]: must be an integer, got " + describe(e));
                }
            }
            return out;
        }
        if (v instanceof String s) {
            for (String part : s.split("[,\\s]+")) {
                if (part.isEmpty()) {
                    continue;
                }
                try {
                    out.add(Long.parseLong(part));
                } catch (NumberFormatException e) {
                    throw error(key, "must be a list of integers, got '" + s + "'");
                }
            }
            return out;
        }
        throw error(key, "must be a list of integers, got " + describe(v));
    }

    private <T> T markRead(String key, T def) {
        read.add(key);
        return def;
    }

    /** Fails on the first key of this node (not of its children) that was never read. */
    public void rejectUnknown() {
        for (String k : values.keySet()) {
            if (!read.contains(k)) {
                throw error(k, "unknown key (known here: " + String.join(", ", read) + ")");
            }
        }
    }

    private static String describe(Object v) {
        if (v instanceof Map<?, ?> || v instanceof ConfigNode) {
            return "a mapping";
        }
        if (v instanceof List<?>) {
            return "a list";
        }
        return "'" + v + "'";
    }

    @Override
    public String toString() {
        return (path.isEmpty() ? "<root>" : path) + values;
    }
}
