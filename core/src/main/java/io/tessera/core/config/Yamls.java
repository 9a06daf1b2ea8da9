package io.tessera.core.config;

import io.tessera.core.ConfigException;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.DuplicateKeyException;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * The one way Tessera parses YAML (and JSON, a subset): plain data only ({@link SafeConstructor}: no
 * tags that build objects), a key may appear only once in a mapping (snakeyaml's default is last-wins),
 * and every failure is one line naming the source and the line.
 */
public final class Yamls {
    private Yamls() {
    }

    /** Options: duplicate keys refused; snakeyaml's default bounds on aliases, nesting and size kept. */
    public static LoaderOptions options() {
        LoaderOptions o = new LoaderOptions();
        o.setAllowDuplicateKeys(false);
        return o;
    }

    /** Parses {@code text}; {@code source} names it in errors (a file, {@code --set order.window}, ...). */
    public static Object load(String text, String source) {
        try {
            return new Yaml(new SafeConstructor(options())).load(text);
        } catch (DuplicateKeyException e) {
            String key = e.getProblem().replaceFirst("^found duplicate key ", "");
            throw new ConfigException(source + ": duplicate key '" + key + "'" + at(e.getProblemMark())
                    + " (each key may appear once in a mapping)");
        } catch (MarkedYAMLException e) {
            String problem = e.getProblem() == null ? firstLine(e) : e.getProblem();
            throw new ConfigException(source + ": malformed YAML" + at(e.getProblemMark()) + ": " + problem);
        } catch (YAMLException e) {
            throw new ConfigException(source + ": malformed YAML: " + firstLine(e));
        }
    }

    private static String at(Mark m) {
        return m == null ? "" : " at line " + (m.getLine() + 1) + ", column " + (m.getColumn() + 1);
    }

    private static String firstLine(Exception e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst().orElse("").strip();
    }
}
