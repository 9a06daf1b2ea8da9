package io.tessera.orders;

import static io.tessera.orders.OrderTesting.GRIDS;
import static io.tessera.orders.OrderTesting.assertConfigError;
import static io.tessera.orders.OrderTesting.options;
import static io.tessera.orders.OrderTesting.trace;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tessera.core.spi.GridSize;
import io.tessera.orders.viz.OrderTrace;
import org.junit.jupiter.api.Test;

class RasterOrderTest {
    private final RasterOrder order = new RasterOrder();

    @Test
    void oneCellPerPassInRasterOrder() {
        for (GridSize grid : GRIDS) {
            OrderTrace t = trace(order, grid, 0);
            assertEquals(grid.cells(), t.passes());
            assertEquals(grid.cells(), t.plannedPasses());
            for (int cell = 0; cell < grid.cells(); cell++) {
                assertEquals(cell, t.passOf(cell));
            }
        }
    }

    @Test
    void rejectsUnknownOptions() {
        assertConfigError("order.window: unknown key",
                () -> order.plan(GridSize.square(4), options("raster", "window", 3), 0));
    }
}
