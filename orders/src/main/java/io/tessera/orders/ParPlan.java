package io.tessera.orders;

import io.tessera.core.spi.GridSize;
import io.tessera.core.spi.Group;
import io.tessera.core.spi.RegionPlan;
import java.util.ArrayList;
import java.util.List;

/**
 * PAR's region-interleaved plan (ALGORITHMS.md §B.1). The grid is cut into an M×M array of equal
 * regions (n = M² regions of (H/M)×(W/M) cells), numbered rr·M + rc. Phase 1: the top-left cell of
 * each region, one per pass, in region order (n passes). Phase 2: pass j emits local position j
 * (raster inside the region) of all n regions at once, in region order (N/n − 1 passes). Passes:
 * n + N/n − 1 (67 / 31 at 16×16 with 4 / 16 regions, 147 / 51 at 24×24).
 *
 * <p>A PAR-family adapter checks {@link #regions()} against the model (a PAR-4× model needs 4) and
 * can map (region, local) to cells with {@link #cell(int, int)}.
 */
public final class ParPlan extends FixedPlan implements RegionPlan {
    private final GridSize grid;
    private final int side;

    ParPlan(GridSize grid, int side) {
        super(build(grid, side), false);
        this.grid = grid;
        this.side = side;
    }

    /** Number of regions n = M². */
    @Override
    public int regions() {
        return side * side;
    }

    /**
     * PAR's cfg clock (generate.py {@code generate}, {@code ar_token_num} = n): the n − 1 sequential
     * steps of {@code decode_n_tokens} count steps (i = pass − 1); then {@code decode_n_tokens_multi}
     * restarts at 0 and counts tokens, i in {@code range(0, N − n, n)}, i.e. the cells generated since
     * phase 1. With one region this is the raster clock, pass − 1.
     */
    @Override
    public int cfgClock(int pass, int generatedBefore) {
        int n = regions();
        return generatedBefore < n ? pass - 1 : generatedBefore - n;
    }

    /** Regions per grid side, M. */
    public int side() {
        return side;
    }

    /** The grid this plan covers. */
    public GridSize grid() {
        return grid;
    }

    /** Cells per region, N / n. */
    public int regionCells() {
        return grid.cells() / regions();
    }

    /** The cell at raster position {@code local} inside region {@code region} (= rr·M + rc). */
    public int cell(int region, int local) {
        return cell(grid, side, region, local);
    }

    private static int cell(GridSize grid, int side, int region, int local) {
        int regionHeight = grid.height() / side;
        int regionWidth = grid.width() / side;
        int rr = region / side;
        int rc = region % side;
        int lr = local / regionWidth;
        int lc = local % regionWidth;
        return grid.cell(rr * regionHeight + lr, rc * regionWidth + lc);
    }

    private static List<Group> build(GridSize grid, int side) {
        int n = side * side;
        int perRegion = grid.cells() / n;
        List<Group> groups = new ArrayList<>(n + perRegion - 1);
        for (int region = 0; region < n; region++) {
            groups.add(Group.of(cell(grid, side, region, 0)));
        }
        for (int local = 1; local < perRegion; local++) {
            int[] cells = new int[n];
            for (int region = 0; region < n; region++) {
                cells[region] = cell(grid, side, region, local);
            }
            groups.add(Group.of(cells));
        }
        return groups;
    }
}
