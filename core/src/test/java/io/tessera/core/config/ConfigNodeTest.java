package io.tessera.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tessera.core.ConfigException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigNodeTest {
    @Test
    void errorsNameTheYamlPath() {
        ConfigNode order = new ConfigNode("order", Map.of("window", 0));
        ConfigException e = assertThrows(ConfigException.class, () -> order.intIn("window", 8, 2, 15));
        assertEquals("order.window: must be in [2, 15], got 0", e.getMessage());
    }

    @Test
    void unknownKeysAreRejected() {
        ConfigNode n = new ConfigNode("order", Map.of("name", "zipar", "windw", 4));
        n.string("name");
        n.integer("window", 8);
        ConfigException e = assertThrows(ConfigException.class, n::rejectUnknown);
        assertEquals("order.windw: unknown key (known here: name, window)", e.getMessage());
    }

    @Test
    void typesAreChecked() {
        ConfigNode n = new ConfigNode("sampling", Map.of("top_k", "many", "cfg_scale", List.of(1), "greedy", "yes"));
        assertEquals("sampling.top_k: must be an integer, got 'many'", assertThrows(ConfigException.class, () -> n.integer("top_k")).getMessage());
        assertEquals("sampling.cfg_scale: must be a number, got a list", assertThrows(ConfigException.class, () -> n.number("cfg_scale")).getMessage());
        assertEquals("sampling.greedy: must be true or false, got 'yes'", assertThrows(ConfigException.class, () -> n.bool("greedy", false)).getMessage());
    }

    @Test
    void childPathsNest() {
        ConfigNode root = new ConfigNode("", Map.of("model", Map.of("dim", -1)));
        ConfigNode m = root.child("model");
        assertEquals("model.dim: must be ≥ 1, got -1", assertThrows(ConfigException.class, () -> m.intAtLeast("dim", 1, 1)).getMessage());
    }
}
