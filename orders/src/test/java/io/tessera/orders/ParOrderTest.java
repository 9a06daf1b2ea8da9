package io.tessera.orders;

import static io.tessera.orders.OrderTesting.assertConfigError;
import static io.tessera.orders.OrderTesting.options;
import static io.tessera.orders.OrderTesting.trace;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tessera.core.spi.GridSize;
import io.tessera.core.spi.Group;
import io.tessera.orders.viz.OrderTrace;
import org.junit.jupiter.api.Test;

class ParOrderTest {
    private final ParOrder order = new ParOrder();

    @Test
    void passesAreRegionsPlusCellsPerRegionMinusOne() {
        int[][] table = {{16, 4, 67}, {16, 16, 31}, {24, 4, 147}, {24, 16, 51}, {32, 4, 259}, {32, 16, 79},
            {64, 4, 1027}, {64, 16, 271}, {64, 64, 127}, {24, 9, 72}, {2, 4, 4}, {1, 1, 1}, {16, 1, 256}};
        for (int[] row : table) {
            GridSize grid = GridSize.square(row[0]);
            OrderTrace t = trace(order, grid, 0, "regions", row[1]);
            assertEquals(row[2], t.passes(), grid + " n=" + row[1]);
            assertEquals(row[2], ParOrder.passes(grid, row[1]));
            assertEquals(row[2], t.plannedPasses());
        }
        assertEquals(67, trace(order, GridSize.square(16), 0).passes(), "default 4 regions");
        assertEquals(15, trace(order, new GridSize(3, 5), 0, "regions", 1).passes());
        assertEquals(4 + 8 - 1, trace(order, new GridSize(4, 8), 0).passes(), "non-square, 2x4 regions");
    }

    @Test
    void phaseOneTopLeftCellsThenOneCellPerRegionAtTheSameLocalPosition() {
        for (int[] gn : new int[][] {{16, 4}, {16, 16}, {24, 4}, {24, 16}, {32, 16}, {64, 16}, {12, 9}}) {
            GridSize grid = GridSize.square(gn[0]);
            int n = gn[1];
            int m = (int) Math.sqrt(n);
            int rh = grid.height() / m;
            int rw = grid.width() / m;
            OrderTrace t = trace(order, grid, 0, "regions", n);
            for (int region = 0; region < n; region++) {
                Group g = t.groups().get(region);
                assertEquals(1, g.size());
                assertEquals(grid.cell(region / m * rh, region % m * rw), g.cell(0));
            }
            for (int j = 1; j < rh * rw; j++) {
                Group g = t.groups().get(n + j - 1);
                assertEquals(n, g.size());
                for (int region = 0; region < n; region++) {
                    int cell = g.cell(region);
                    int r = grid.row(cell);
                    int c = grid.col(cell);
                    assertEquals(region, (r / rh) * m + c / rw, "region order");
                    assertEquals(j, (r % rh) * rw + c % rw, "same local position");
                }
            }
        }
    }

    /** Sequence position of a cell = PAR's reordered index s = (lr·(G/M) + lc)·n + (rr·M + rc). */
    @Test
    void flattenedOrderIsTheOfficialPermutation() {
        GridSize grid = GridSize.square(24);
        for (int n : new int[] {4, 16}) {
            int m = (int) Math.sqrt(n);
            int side = 24 / m;
            OrderTrace t = trace(order, grid, 0, "regions", n);
            int position = 0;
            for (Group g : t.groups()) {
                for (int i = 0; i < g.size(); i++) {
                    int r = grid.row(g.cell(i));
                    int c = grid.col(g.cell(i));
                    int s = ((r % side) * side + c % side) * n + (r / side) * m + c / side;
                    assertEquals(s, position++);
                }
            }
        }
    }

    @Test
    void exposesItsRegionCount() {
        ParPlan plan = order.plan(GridSize.square(24), options("par", "regions", 16), 0);
        assertEquals(16, plan.regions());
        assertEquals(4, plan.side());
        assertEquals(36, plan.regionCells());
        assertEquals(GridSize.square(24).cell(6, 6 + 1), plan.cell(5, 1));
        assertEquals(16, ParOrder.regionsOf(plan));
        assertEquals(-1, ParOrder.regionsOf(new RasterOrder().plan(GridSize.square(2), options("raster"), 0)));
        assertEquals(4, ParOrder.regions(GridSize.square(24), options("par")));
    }

    @Test
    void optionErrorsNameTheYamlPath() {
        assertConfigError("order.regions: must be a perfect square (4, 16, ...), got 8",
                () -> order.plan(GridSize.square(16), options("par", "regions", 8), 0));
        assertConfigError("order.regions: 16 regions need both grid sides divisible by 4, got 18x18",
                () -> order.plan(GridSize.square(18), options("par", "regions", 16), 0));
        assertConfigError("order.regions: must be in [1, 1], got 4",
                () -> order.plan(new GridSize(1, 1), options("par"), 0));
        assertConfigError("order.regions: 4 regions need both grid sides divisible by 2, got 3x5",
                () -> order.plan(new GridSize(3, 5), options("par"), 0));
    }
}
