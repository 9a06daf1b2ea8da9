package io.tessera.orders;

import static io.tessera.orders.OrderTesting.assertConfigError;
import static io.tessera.orders.OrderTesting.options;
import static io.tessera.orders.OrderTesting.trace;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tessera.core.decode.Rng;
import io.tessera.core.spi.GridSize;
import io.tessera.core.spi.Group;
import io.tessera.orders.viz.OrderTrace;
import io.tessera.orders.viz.SimulatedState;
import org.junit.jupiter.api.Test;

class AdaptiveZiparOrderTest {
    private final AdaptiveZiparOrder order = new AdaptiveZiparOrder();
    private final ZiparOrder fixed = new ZiparOrder();

    @Test
    void labelledAsTesserasOwnDesign() {
        assertTrue(order.description().contains("Tessera"));
        assertEquals(-1, order.plan(GridSize.square(16), options("zipar-adaptive"), 0).plannedPasses());
    }

    @Test
    void fullConfidenceIsZiparWithTheMinimumWindow() {
        for (int g : new int[] {3, 5, 16, 24, 32, 64}) {
            GridSize grid = GridSize.square(g);
            int min = Math.min(3, g - 1);
            OrderTrace adaptive = trace(order, grid, 0, "min_window", min);
            assertEquals(fixed.plan(grid, options("zipar", "window", min), 0).plannedPasses(), adaptive.passes());
            assertEquals(trace(fixed, grid, 0, "window", min).groups(), adaptive.groups());
        }
    }

    @Test
    void noConfidenceIsZiparWithTheMaximumWindow() {
        for (int g : new int[] {3, 16, 24, 32}) {
            GridSize grid = GridSize.square(g);
            int max = Math.min(8, g - 1);
            OrderTrace adaptive = trace(order, grid, new SimulatedState(grid, cell -> 0.0), 0);
            assertEquals(trace(fixed, grid, 0, "window", max).groups(), adaptive.groups(), grid.toString());
        }
    }

    @Test
    void invariantsHoldForAnyConfidence() {
        for (int g : new int[] {3, 5, 16, 24, 32, 64}) {
            for (long seed = 0; seed < 5; seed++) {
                GridSize grid = GridSize.square(g);
                Rng rng = new Rng(seed);
                double[] confidence = new double[grid.cells()];
                for (int i = 0; i < confidence.length; i++) {
                    confidence[i] = rng.nextDouble();
                }
                int min = Math.min(2, g - 1);
                int max = Math.min(6, g - 1);
                OrderTrace t = trace(order, grid, new SimulatedState(grid, cell -> confidence[cell]), 0,
                        "min_window", min, "max_window", max, "threshold", 0.5);
                ZiparOrderTest.checkInvariants(grid, min, t);
                checkLagAtMost(grid, max, t);
                assertTrue(t.passes() >= ZiparOrder.passes(grid, min) && t.passes() <= ZiparOrder.passes(grid, max));
            }
        }
        GridSize odd = new GridSize(3, 5);
        ZiparOrderTest.checkInvariants(odd, 2, trace(order, odd, new SimulatedState(odd, c -> c % 2), 0));
    }

    /** Row r+1 (r ≥ 1) starts no later than when row r holds max_window cells. */
    private static void checkLagAtMost(GridSize grid, int max, OrderTrace t) {
        int[] rowCount = new int[grid.height()];
        for (Group g : t.groups()) {
            for (int i = 0; i < g.size(); i++) {
                int r = grid.row(g.cell(i));
                if (r >= 2 && grid.col(g.cell(i)) == 0) {
                    assertTrue(rowCount[r - 1] <= max, "row " + r + " started late: row above holds " + rowCount[r - 1]);
                }
            }
            for (int i = 0; i < g.size(); i++) {
                rowCount[grid.row(g.cell(i))]++;
            }
        }
    }

    @Test
    void optionErrorsNameTheYamlPath() {
        GridSize grid = GridSize.square(16);
        assertConfigError("order.threshold: must be in [0, 1], got 1.5",
                () -> order.plan(grid, options("zipar-adaptive", "threshold", 1.5), 0));
        assertConfigError("order.max_window: must be ≥ min_window 6, got 4",
                () -> order.plan(grid, options("zipar-adaptive", "min_window", 6, "max_window", 4), 0));
        assertConfigError("order.min_window: must be in [2, 15], got 1",
                () -> order.plan(grid, options("zipar-adaptive", "min_window", 1), 0));
        assertConfigError("order.window: unknown key",
                () -> order.plan(grid, options("zipar-adaptive", "window", 4), 0));
    }
}
