package io.tessera.core.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tessera.core.PluginException;
import io.tessera.core.config.ConfigNode;
import io.tessera.core.spi.GridSize;
import io.tessera.core.spi.Group;
import io.tessera.core.spi.OrderScheduler;
import io.tessera.core.spi.Plan;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PluginRegistryTest {
    @TempDir
    Path tmp;

    @Test
    void loadsAnOrderFromAPluginJarByName() throws Exception {
        Path plugins = Files.createDirectories(tmp.resolve("plugins"));
        PluginJars.build(plugins, "reverse-order", Map.of("com.example.Reverse", PluginJars.reverseOrderSource("com.example", "Reverse", "reverse")),
                List.of("com.example.Reverse"));
        try (PluginRegistry reg = PluginRegistry.load(List.of(plugins))) {
            OrderScheduler o = reg.order("reverse");
            assertEquals("plugin reverse-order", reg.originOf(o));
            Plan p = o.plan(GridSize.square(2), new ConfigNode("order", Map.of("name", "reverse")), 0);
            List<Integer> cells = new ArrayList<>();
            for (Group g = p.next(null); g != null; g = p.next(null)) {
                cells.add(g.cell(0));
            }
            assertEquals(List.of(3, 2, 1, 0), cells);
        }
    }

    @Test
    void unknownNamesListTheAvailableOnes() throws Exception {
        Path plugins = Files.createDirectories(tmp.resolve("plugins"));
        PluginJars.build(plugins, "reverse-order", Map.of("com.example.Reverse", PluginJars.reverseOrderSource("com.example", "Reverse", "reverse")),
                List.of("com.example.Reverse"));
        try (PluginRegistry reg = PluginRegistry.load(List.of(plugins))) {
            PluginException e = assertThrows(PluginException.class, () -> reg.order("spiral"));
            assertEquals("order.name: unknown order 'spiral' (available: reverse)", e.getMessage());
            assertTrue(assertThrows(PluginException.class, () -> reg.backend("nope")).getMessage().startsWith("backend.name: unknown backend 'nope'"));
        }
    }

    @Test
    void twoExtensionsWithOneNameAreAnError() throws Exception {
        Path plugins = Files.createDirectories(tmp.resolve("plugins"));
        Path a = Files.createDirectories(tmp.resolve("a"));
        Path b = Files.createDirectories(tmp.resolve("b"));
        Files.move(PluginJars.build(a, "first", Map.of("com.a.One", PluginJars.reverseOrderSource("com.a", "One", "same")), List.of("com.a.One")),
                plugins.resolve("first.jar"));
        Files.move(PluginJars.build(b, "second", Map.of("com.b.Two", PluginJars.reverseOrderSource("com.b", "Two", "same")), List.of("com.b.Two")),
                plugins.resolve("second.jar"));
        PluginException e = assertThrows(PluginException.class, () -> PluginRegistry.load(List.of(plugins)));
        assertTrue(e.getMessage().startsWith("two order extensions are named 'same'"), e.getMessage());
    }

    @Test
    void aMissingPluginDirectoryIsNamed() {
        Path missing = tmp.resolve("nope");
        PluginException e = assertThrows(PluginException.class, () -> PluginRegistry.load(List.of(missing)));
        assertEquals(missing + ": plugin directory does not exist", e.getMessage());
    }
}
