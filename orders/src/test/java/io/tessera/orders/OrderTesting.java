package io.tessera.orders;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tessera.core.ConfigException;
import io.tessera.core.config.ConfigNode;
import io.tessera.core.spi.GridSize;
import io.tessera.core.spi.Group;
import io.tessera.core.spi.OrderScheduler;
import io.tessera.orders.viz.OrderTrace;
import io.tessera.orders.viz.SimulatedState;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.function.Executable;

/** Shared helpers: option nodes as the YAML binder builds them, and traced plans. */
final class OrderTesting {
    /** The grid sizes every order is checked on (each test skips those its order does not allow). */
    static final List<GridSize> GRIDS = List.of(
            new GridSize(1, 1), new GridSize(2, 2), new GridSize(3, 5), GridSize.square(16), GridSize.square(24),
            GridSize.square(32), GridSize.square(64));

    private OrderTesting() {
    }

    /** An {@code order:} node with {@code name} and the given key/value pairs. */
    static ConfigNode options(String name, Object... keyValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("name", name);
        for (int i = 0; i < keyValues.length; i += 2) {
            map.put((String) keyValues[i], keyValues[i + 1]);
        }
        return new ConfigNode("order", map);
    }

    /** Plans and runs the order to the end (confidence 1.0); fails if a cell is missed or repeated. */
    static OrderTrace trace(OrderScheduler order, GridSize grid, long seed, Object... keyValues) {
        return OrderTrace.of(order.name(), grid, order.plan(grid, options(order.name(), keyValues), seed));
    }

    static OrderTrace trace(OrderScheduler order, GridSize grid, SimulatedState state, long seed, Object... keyValues) {
        return OrderTrace.of(order.name(), grid, order.plan(grid, options(order.name(), keyValues), seed), state);
    }

    /** Cells per pass as lists, for comparing plans. */
    static List<List<Integer>> cells(OrderTrace trace) {
        List<List<Integer>> out = new ArrayList<>();
        for (Group g : trace.groups()) {
            List<Integer> cells = new ArrayList<>();
            for (int i = 0; i < g.size(); i++) {
                cells.add(g.cell(i));
            }
            out.add(cells);
        }
        return out;
    }

    /** Asserts that running {@code body} fails with a ConfigException whose message starts with {@code prefix}. */
    static ConfigException assertConfigError(String prefix, Executable body) {
        ConfigException e = assertThrows(ConfigException.class, body);
        assertTrue(e.getMessage().startsWith(prefix), () -> "expected '" + prefix + "...', got '" + e.getMessage() + "'");
        assertTrue(!e.getMessage().contains("\n"), "one-line message");
        return e;
    }
}
