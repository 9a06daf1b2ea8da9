package io.tessera.orders;

import static io.tessera.orders.OrderTesting.GRIDS;
import static io.tessera.orders.OrderTesting.assertConfigError;
import static io.tessera.orders.OrderTesting.cells;
import static io.tessera.orders.OrderTesting.options;
import static io.tessera.orders.OrderTesting.trace;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.tessera.core.spi.GridSize;
import java.util.List;
import org.junit.jupiter.api.Test;

class RandomOrderTest {
    private final RandomOrder order = new RandomOrder();

    @Test
    void everyCellOnceWithEverySchedule() {
        for (GridSize grid : GRIDS) {
            int n = grid.cells();
            assertEquals(Math.min(20, n), trace(order, grid, 3).passes(), grid.toString());
            assertEquals(n, trace(order, grid, 3, "schedule", "one").passes());
            trace(order, grid, 3, "schedule", "cosine");
            trace(order, grid, 3, "schedule", "lpd", "steps", Math.min(2, n));
        }
    }

    @Test
    void schedules() {
        GridSize grid = GridSize.square(16);
        assertArrayEquals(GroupSchedulesTest.LPD_256_20, trace(order, grid, 0).tokensPerPass());
        assertArrayEquals(GroupSchedulesTest.LPD_256_32, trace(order, grid, 0, "steps", 32).tokensPerPass());
        assertArrayEquals(GroupSchedules.randarCosine(256, 88),
                trace(order, grid, 0, "schedule", "cosine").tokensPerPass());
        assertEquals(88, trace(order, grid, 0, "schedule", "cosine").passes());
        assertEquals(30, trace(order, grid, 0, "schedule", "cosine", "steps", 30).passes());
        assertArrayEquals(new int[] {100, 100, 56},
                trace(order, grid, 0, "group_sizes", List.of(100, 100, 56)).tokensPerPass());
    }

    @Test
    void sameSeedSamePlanOtherSeedOtherPlan() {
        GridSize grid = GridSize.square(16);
        assertEquals(cells(trace(order, grid, 7)), cells(trace(order, grid, 7)));
        assertNotEquals(cells(trace(order, grid, 7)), cells(trace(order, grid, 8)));
    }

    @Test
    void optionErrorsNameTheYamlPath() {
        GridSize grid = GridSize.square(16);
        assertConfigError("order.schedule: must be one of lpd, cosine, one; got 'linear'",
                () -> order.plan(grid, options("random", "schedule", "linear"), 0));
        assertConfigError("order.steps: not used with schedule 'one'",
                () -> order.plan(grid, options("random", "schedule", "one", "steps", 20), 0));
        assertConfigError("order.schedule: give either schedule or group_sizes, not both",
                () -> order.plan(grid, options("random", "schedule", "one", "group_sizes", List.of(256)), 0));
        assertConfigError("order.steps: must be in [2, 256], got 300",
                () -> order.plan(grid, options("random", "steps", 300), 0));
    }
}
