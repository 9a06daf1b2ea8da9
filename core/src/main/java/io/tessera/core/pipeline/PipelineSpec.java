package io.tessera.core.pipeline;

import io.tessera.core.ConfigException;
import io.tessera.core.config.ConfigNode;
import io.tessera.core.config.Yamls;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A pipeline file (one YAML document with {@code model}, {@code tokenizer}, {@code backend},
 * {@code order}, {@code sampling}) plus the directory its relative paths resolve against. Parsed
 * with snakeyaml's SafeConstructor (plain maps, lists and scalars only).
 */
public final class PipelineSpec {
    public static final List<String> SECTIONS = List.of("model", "tokenizer", "backend", "order", "sampling");

    private final String source;
    private final Path baseDir;
    private final ConfigNode root;

    private PipelineSpec(String source, Path baseDir, ConfigNode root) {
        this.source = source;
        this.baseDir = baseDir;
        this.root = root;
    }

    public static PipelineSpec load(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read pipeline (" + e.getMessage() + ")");
        }
        Path dir = file.toAbsolutePath().getParent();
        return parse(text, file.toString(), dir);
    }

    public static PipelineSpec parse(String text, String source, Path baseDir) {
        Object doc = Yamls.load(text, source);
        if (doc == null) {
            doc = Map.of();
        }
        if (!(doc instanceof Map<?, ?> m)) {
            throw new ConfigException(source + ": a pipeline must be a YAML mapping with keys " + SECTIONS);
        }
        Map<String, Object> copy = new LinkedHashMap<>();
        m.forEach((k, v) -> copy.put(String.valueOf(k), v));
        for (String k : copy.keySet()) {
            if (!SECTIONS.contains(k)) {
                throw new ConfigException(source + ": " + k + ": unknown section (known: " + String.join(", ", SECTIONS) + ")");
            }
        }
        return new PipelineSpec(source, baseDir, new ConfigNode("", copy));
    }

    /**
     * Applies an override {@code path=value} (e.g. {@code order.window=4}, {@code sampling.cfg_scale=2});
     * the value is parsed as a YAML scalar or flow collection.
     */
    public PipelineSpec set(String assignment) {
        int eq = assignment.indexOf('=');
        if (eq <= 0) {
            throw new ConfigException("--set: expected path=value, got '" + assignment + "'");
        }
        String path = assignment.substring(0, eq).trim();
        String raw = assignment.substring(eq + 1);
        Object value = Yamls.load(raw, "--set " + path);
        String[] parts = path.split("\\.");
        if (parts.length < 2 || !SECTIONS.contains(parts[0])) {
            throw new ConfigException("--set " + path + ": path must start with one of " + SECTIONS + " and name a key, as in order.window=4");
        }
        ConfigNode node = root;
        for (int i = 0; i < parts.length - 1; i++) {
            if (!node.has(parts[i])) {
                node.put(parts[i], new LinkedHashMap<String, Object>());
            }
            node = node.child(parts[i]);
        }
        node.put(parts[parts.length - 1], value);
        return this;
    }

    /** Replaces a whole section with {@code name: value} only (for --order / --backend flags). */
    public PipelineSpec replaceSection(String section, String name) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        root.put(section, m);
        return this;
    }

    public ConfigNode section(String name) {
        return root.child(name);
    }

    public String source() {
        return source;
    }

    public Path baseDir() {
        return baseDir;
    }
}
