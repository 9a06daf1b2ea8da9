package io.tessera.orders;

import static io.tessera.orders.OrderTesting.assertConfigError;
import static io.tessera.orders.OrderTesting.options;
import static io.tessera.orders.OrderTesting.trace;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tessera.core.spi.GridSize;
import io.tessera.core.spi.Group;
import io.tessera.orders.viz.OrderTrace;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ZiparOrderTest {
    private final ZiparOrder order = new ZiparOrder();

    /** The pass counts of ALGORITHMS.md §A.8.2 (checked there against the official code). */
    @Test
    void passesMatchTheOfficialTable() {
        int[][] table = {
            {16, 4, 88}, {16, 6, 116}, {16, 8, 144}, {16, 10, 172}, {16, 12, 200}, {16, 2, 60},
            {24, 4, 136}, {24, 6, 180}, {24, 8, 224}, {24, 10, 268}, {24, 12, 312}, {24, 16, 400}, {24, 2, 92},
            {32, 4, 184}, {32, 6, 244}, {32, 8, 304}, {32, 10, 364}, {32, 12, 424}, {32, 16, 544}, {32, 24, 784},
            {32, 2, 124},
        };
        for (int[] row : table) {
            OrderTrace t = trace(order, GridSize.square(row[0]), 0, "window", row[1]);
            assertEquals(row[2], t.passes(), () -> "G=" + row[0] + " w=" + row[1]);
            assertEquals(row[2], t.plannedPasses());
        }
    }

    @Test
    void passesAre2GPlusGMinus2TimesWindowForManyGrids() {
        for (int g = 3; g <= 40; g++) {
            for (int w = 2; w <= g - 1; w++) {
                OrderTrace t = trace(order, GridSize.square(g), 0, "window", w);
                assertEquals(2 * g + (g - 2) * w, t.passes(), "G=" + g + " w=" + w);
            }
        }
        assertEquals(144, trace(order, GridSize.square(16), 0).passes(), "default window 8");
        assertEquals(64 * 2 + 62 * 8, trace(order, GridSize.square(64), 0).passes());
    }

    @Test
    void groupsEqualTheOfficialPseudoCodeIncludingNonSquareGrids() {
        int[][] grids = {{16, 16}, {24, 24}, {5, 9}, {9, 5}, {3, 5}, {1, 7}, {2, 3}, {12, 20}};
        for (int[] hw : grids) {
            GridSize grid = new GridSize(hw[0], hw[1]);
            for (int w = 2; w <= grid.width() - 1; w++) {
                OrderTrace t = trace(order, grid, 0, "window", w);
                List<Group> expected = officialSchedule(grid, w);
                assertEquals(expected, t.groups(), grid + " w=" + w);
                assertEquals(ZiparOrder.passes(grid, w), t.passes(), grid + " w=" + w);
            }
        }
    }

    @Test
    void lagRuleStandInsAndAscendingCells() {
        for (int g : new int[] {3, 5, 16, 24, 32, 64}) {
            for (int w : new int[] {2, 3, 4, 8, 12, g - 1}) {
                if (w > g - 1) {
                    continue;
                }
                checkInvariants(GridSize.square(g), w, trace(order, GridSize.square(g), 0, "window", w));
            }
        }
        checkInvariants(new GridSize(3, 5), 2, trace(order, new GridSize(3, 5), 0, "window", 2));
        checkInvariants(new GridSize(7, 4), 3, trace(order, new GridSize(7, 4), 0, "window", 3));
    }

    /** Most cells in one pass = the rows active at once, ⌈W / w⌉ once the grid is tall enough. */
    @Test
    void mostCellsPerPass() {
        assertEquals(2, trace(order, GridSize.square(16), 0, "window", 8).maxTokensPerPass());
        assertEquals(3, trace(order, GridSize.square(24), 0, "window", 8).maxTokensPerPass());
        assertEquals(4, trace(order, GridSize.square(16), 0, "window", 4).maxTokensPerPass());
    }

    @Test
    void maskHolesOption() {
        assertFalse(order.plan(GridSize.square(16), options("zipar"), 0).maskUnwritten());
        assertTrue(order.plan(GridSize.square(16), options("zipar", "mask_holes", true), 0).maskUnwritten());
    }

    @Test
    void optionErrorsNameTheYamlPath() {
        assertConfigError("order.window: must be in [2, 15], got 1",
                () -> order.plan(GridSize.square(16), options("zipar", "window", 1), 0));
        assertConfigError("order.window: must be in [2, 15], got 16",
                () -> order.plan(GridSize.square(16), options("zipar", "window", 16), 0));
        assertConfigError("order.window: must be an integer",
                () -> order.plan(GridSize.square(16), options("zipar", "window", "wide"), 0));
        assertConfigError("order.mask_holes: must be true or false",
                () -> order.plan(GridSize.square(16), options("zipar", "mask_holes", "maybe"), 0));
        assertConfigError("order.windw: unknown key",
                () -> order.plan(GridSize.square(16), options("zipar", "windw", 4), 0));
        assertConfigError("order.window: ZipAR needs a grid at least 3 cells wide",
                () -> order.plan(GridSize.square(2), options("zipar"), 0));
        assertConfigError("order.window: ZipAR needs a grid at least 3 cells wide",
                () -> order.plan(new GridSize(1, 1), options("zipar"), 0));
    }

    @Test
    void defaultWindowShrinksOnNarrowGrids() {
        assertEquals(ZiparOrder.passes(new GridSize(3, 5), 4), trace(order, new GridSize(3, 5), 0).passes());
    }

    /**
     * Checks a ZipAR-style trace: cells ascending; (r, c) with r ≥ 1 only while row r−1 holds
     * ≥ min(c + lag, W) cells (row 0 complete for r = 1); a row's other cells have their raster
     * predecessor; a first cell (n, 0), n ≥ 2, has a stand-in that is generated and is row n−2's latest.
     */
    static void checkInvariants(GridSize grid, int lag, OrderTrace t) {
        int width = grid.width();
        int[] rowCount = new int[grid.height()];
        boolean[] done = new boolean[grid.cells()];
        for (Group g : t.groups()) {
            for (int i = 0; i < g.size(); i++) {
                int cell = g.cell(i);
                int r = grid.row(cell);
                int c = grid.col(cell);
                String where = grid + " lag " + lag + " cell (" + r + "," + c + ")";
                if (i > 0) {
                    assertTrue(cell > g.cell(i - 1), where + ": cells ascending");
                }
                assertEquals(c, rowCount[r], where + ": left to right");
                if (r == 1) {
                    assertEquals(width, rowCount[0], where + ": row 0 complete first");
                }
                if (r >= 2) {
                    assertTrue(rowCount[r - 1] >= Math.min(c + lag, width),
                            where + ": row above holds " + rowCount[r - 1]);
                }
                int standIn = g.standIn(i);
                if (c > 0) {
                    assertTrue(done[cell - 1], where + ": predecessor generated");
                    assertEquals(-1, standIn, where);
                } else if (r == 1) {
                    assertTrue(done[cell - 1], where + ": (0, W-1) generated");
                    assertEquals(-1, standIn, where);
                } else if (r >= 2) {
                    assertTrue(standIn >= 0 && done[standIn], where + ": stand-in generated");
                    assertEquals(r - 2, grid.row(standIn), where + ": stand-in in row n-2");
                    assertEquals(rowCount[r - 2] - 1, grid.col(standIn), where + ": row n-2's latest");
                }
            }
            for (int i = 0; i < g.size(); i++) {
                done[g.cell(i)] = true;
                rowCount[grid.row(g.cell(i))]++;
            }
        }
    }

    /**
     * A transcription of the official pseudo-code (ALGORITHMS.md §A.8.1), generalised to H rows of W
     * cells, reporting per pass the sampled cells and the auxiliary token of just-started rows (copied
     * when the row above hits w, as the official code does).
     */
    static List<Group> officialSchedule(GridSize grid, int w) {
        int h = grid.height();
        int width = grid.width();
        List<Group> passes = new ArrayList<>();
        for (int c = 0; c < width; c++) {
            passes.add(Group.of(grid.cell(0, c)));
        }
        int[] gen = new int[h];
        int[] aux = new int[h];
        gen[0] = width;
        List<Integer> active = new ArrayList<>();
        if (h > 1) {
            active.add(1);
            aux[1] = -1;
        }
        while (!active.isEmpty()) {
            int[] cells = new int[active.size()];
            int[] standIns = new int[active.size()];
            boolean any = false;
            for (int i = 0; i < active.size(); i++) {
                int r = active.get(i);
                cells[i] = grid.cell(r, gen[r]);
                standIns[i] = gen[r] == 0 ? aux[r] : -1;
                any |= standIns[i] >= 0;
            }
            passes.add(new Group(cells, any ? standIns : null));
            List<Integer> finished = new ArrayList<>();
            for (int r : List.copyOf(active)) {
                gen[r]++;
                if (gen[r] == w && r < h - 1 && !active.contains(r + 1)) {
                    active.add(r + 1);
                    aux[r + 1] = r + 1 >= 2 ? grid.cell(r - 1, gen[r - 1] - 1) : -1;
                }
                if (gen[r] == width) {
                    finished.add(r);
                }
            }
            active.removeAll(finished);
        }
        return passes;
    }
}
