package io.tessera.core.pipeline;

import io.tessera.core.ConfigException;
import io.tessera.core.config.ConfigNode;
import io.tessera.core.config.Yamls;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An order written on one line, as the command line takes it: {@code NAME[:KEY=VALUE[,KEY=VALUE]...]},
 * e.g. {@code zipar:window=4}, {@code lpd:steps=32,repulsion=3}. Values are YAML scalars.
 */
public record OrderSpec(String name, Map<String, Object> options) {

    public static OrderSpec parse(String text) {
        String t = text.trim();
        int colon = t.indexOf(':');
        String name = colon < 0 ? t : t.substring(0, colon);
        if (name.isEmpty()) {
            throw new ConfigException("order '" + text + "': missing name (expected NAME[:KEY=VALUE,...])");
        }
        Map<String, Object> opts = new LinkedHashMap<>();
        if (colon >= 0 && colon < t.length() - 1) {
            for (String kv : t.substring(colon + 1).split(",")) {
                int eq = kv.indexOf('=');
                if (eq <= 0) {
                    throw new ConfigException("order '" + text + "': option '" + kv + "' is not KEY=VALUE");
                }
                String key = kv.substring(0, eq).trim();
                Object v = Yamls.load(kv.substring(eq + 1), "order '" + text + "': option " + key);
                if (opts.containsKey(key) || key.equals("name")) {
                    throw new ConfigException("order '" + text + "': option '" + key + "' is given "
                            + (key.equals("name") ? "as an option (the name comes before ':')" : "twice"));
                }
                opts.put(key, v);
            }
        }
        return new OrderSpec(name, opts);
    }

    /** The {@code order:} node this spec stands for. */
    public ConfigNode node() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.putAll(options);
        return new ConfigNode("order", m);
    }

    /** A short label: the spec as written, normalised. */
    public String label() {
        StringBuilder b = new StringBuilder(name);
        String sep = ":";
        for (var e : options.entrySet()) {
            b.append(sep).append(e.getKey()).append('=').append(e.getValue());
            sep = ",";
        }
        return b.toString();
    }
}
