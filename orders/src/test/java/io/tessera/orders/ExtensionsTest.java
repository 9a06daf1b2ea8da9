package io.tessera.orders;

import static io.tessera.orders.OrderTesting.assertConfigError;
import static io.tessera.orders.OrderTesting.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tessera.core.spi.GridSize;
import io.tessera.core.spi.OrderScheduler;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pf4j.DefaultPluginManager;
import org.pf4j.PluginManager;

class ExtensionsTest {
    static final List<OrderScheduler> ALL = List.of(new RasterOrder(), new ZiparOrder(), new AdaptiveZiparOrder(),
            new ParOrder(), new LpdOrder(), new RandomOrder(), new ExplicitOrder());

    @Test
    void extensionIndexListsEveryOrder() throws IOException {
        // the main classes' index (test-classes and core have an empty one of their own)
        URL url = RasterOrder.class.getResource("/META-INF/extensions.idx");
        String index = "";
        for (URL u : Collections.list(RasterOrder.class.getClassLoader().getResources("META-INF/extensions.idx"))) {
            try (InputStream in = u.openStream()) {
                String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                if (text.contains(RasterOrder.class.getName())) {
                    index = text;
                }
            }
        }
        assertNotNull(url, "META-INF/extensions.idx missing: is pf4j in annotationProcessorPaths?");
        for (OrderScheduler order : ALL) {
            assertTrue(index.contains(order.getClass().getName()), order.getClass().getName());
        }
    }

    @Test
    void pf4jFindsTheOrdersOnTheClasspath(@TempDir Path plugins) {
        PluginManager manager = new DefaultPluginManager(plugins);
        Set<String> names = manager.getExtensions(OrderScheduler.class).stream()
                .map(OrderScheduler::name).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(new TreeSet<>(Set.of("raster", "zipar", "zipar-adaptive", "par", "lpd", "random", "explicit")),
                names);
    }

    @Test
    void namesDescriptionsFamilies() {
        Set<String> known = Set.of("llamagen", "par", "lpd", "randar");
        assertEquals(ALL.size(), ALL.stream().map(OrderScheduler::name).distinct().count());
        for (OrderScheduler order : ALL) {
            assertFalse(order.description().isBlank());
            assertTrue(known.containsAll(order.families()), order.name());
            assertTrue(order.families().containsAll(Set.of("lpd", "randar")), order.name());
        }
        assertEquals(Set.of("llamagen", "lpd", "randar"), new ZiparOrder().families());
        assertEquals(Set.of("par", "lpd", "randar"), new ParOrder().families());
        assertFalse(new LpdOrder().families().contains("llamagen"));
    }

    @Test
    void everyOrderRejectsUnknownKeys() {
        for (OrderScheduler order : ALL) {
            if (order instanceof ExplicitOrder) {
                continue;   // needs a file first; covered in ExplicitOrderTest
            }
            assertConfigError("order.bogus: unknown key",
                    () -> order.plan(GridSize.square(16), options(order.name(), "bogus", 1), 0));
        }
    }
}
