package io.tessera.orders;

import io.tessera.core.spi.GridSize;
import io.tessera.core.spi.Group;
import io.tessera.core.spi.Plan;
import io.tessera.core.spi.PlanState;

/**
 * ZipAR's row wavefront, shared by {@code zipar} and {@code zipar-adaptive}.
 *
 * <p>Row 0 is generated sequentially, one cell per pass, and row 1 becomes active the pass after row 0
 * is complete. For r ≥ 1, row r+1 becomes active in the pass after the one in which {@link StartRule}
 * first holds for row r (checked before every pass, so "the pass after row r holds w tokens" for the
 * fixed window). Every active row gains one cell per pass, left to right; a group lists the cells of
 * the active rows in ascending row order, so its cells are ascending. A row's first cell (n, 0) with
 * n ≥ 2 carries as stand-in the latest generated cell of row n−2 (ZipAR's auxiliary token; row n−1
 * is not finished yet, so (n−1, W−1) is missing); for n = 1 the raster predecessor (0, W−1) exists.
 */
final class RowWavefrontPlan implements Plan {
    /** Whether row {@code row} (≥ 1, not the last) has enough context for row {@code row}+1 to start. */
    @FunctionalInterface
    interface StartRule {
        boolean canStartNext(int row, int generatedInRow, GridSize grid, PlanState state);
    }

    private final GridSize grid;
    private final StartRule rule;
    private final int plannedPasses;
    private final boolean maskUnwritten;
    private final int[] generated;
    private int started;

    RowWavefrontPlan(GridSize grid, StartRule rule, int plannedPasses, boolean maskUnwritten) {
        this.grid = grid;
        this.rule = rule;
        this.plannedPasses = plannedPasses;
        this.maskUnwritten = maskUnwritten;
        this.generated = new int[grid.height()];
        this.started = 1;
    }

    @Override
    public Group next(PlanState state) {
        int width = grid.width();
        int last = started - 1;
        if (started < grid.height()) {
            boolean start = last == 0
                    ? generated[0] == width
                    : rule.canStartNext(last, generated[last], grid, state);
            if (start) {
                started++;
            }
        }
        int count = 0;
        for (int r = 0; r < started; r++) {
            if (generated[r] < width) {
                count++;
            }
        }
        if (count == 0) {
            return null;
        }
        int[] cells = new int[count];
        int[] standIns = new int[count];
        boolean anyStandIn = false;
        int i = 0;
        for (int r = 0; r < started; r++) {
            int c = generated[r];
            if (c == width) {
                continue;
            }
            cells[i] = grid.cell(r, c);
            standIns[i] = -1;
            if (c == 0 && r >= 2) {
                standIns[i] = grid.cell(r - 2, generated[r - 2] - 1);
                anyStandIn = true;
            }
            i++;
        }
        for (int r = 0; r < started; r++) {
            if (generated[r] < width) {
                generated[r]++;
            }
        }
        return new Group(cells, anyStandIn ? standIns : null);
    }

    /**
     * ZipAR's cfg clock (generate_zipar.py {@code generate}): row 0 goes through {@code decode_n_tokens},
     * whose step i is pass − 1; then {@code decode_n_tokens_zipar} restarts at 0 and counts
     * {@code num_generated_tokens}, the tokens sampled since row 0 before the pass.
     */
    @Override
    public int cfgClock(int pass, int generatedBefore) {
        int width = grid.width();
        return generatedBefore < width ? pass - 1 : generatedBefore - width;
    }

    @Override
    public int plannedPasses() {
        return plannedPasses;
    }

    @Override
    public boolean maskUnwritten() {
        return maskUnwritten;
    }
}
