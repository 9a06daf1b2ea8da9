package io.tessera.orders;

import io.tessera.core.config.ConfigNode;
import io.tessera.core.spi.GridSize;
import io.tessera.core.spi.OrderScheduler;
import io.tessera.core.spi.Plan;
import java.util.Set;
import org.pf4j.Extension;

/**
 * ZipAR with a fixed window, exactly as the official LlamaGen ZipAR code schedules it
 * (ALGORITHMS.md §A.8.1): row 0 sequential; row r+1 becomes active the pass after row r holds
 * {@code window} tokens; one token per active row per pass; a just-started row n ≥ 2 takes the latest
 * token of row n−2 as stand-in for its missing raster predecessor (see {@link RowWavefrontPlan}).
 * Cell (r, c), r ≥ 1, is therefore generated while row r−1 holds min(c + w, W) tokens.
 *
 * <p>Options: {@code window} w, 2 ≤ w ≤ W − 1 for a grid W cells wide (default 8, or W − 1 when the
 * grid is narrower than 9); {@code mask_holes} (default false) sets {@link Plan#maskUnwritten()}: false
 * keeps the official zero key/value "holes", true masks them. The grid must be at least 3 cells wide.
 * Passes: 2W + (H − 2)·w for H ≥ 2 rows (W for one row): 88 at 16×16, w = 4; 144 at w = 8.
 */
@Extension
public final class ZiparOrder implements OrderScheduler {
    /** The official default window ({@code --zipar-window-size}). */
    public static final int DEFAULT_WINDOW = 8;

    @Override
    public String name() {
        return "zipar";
    }

    @Override
    public String description() {
        return "ZipAR: rows start window tokens behind the row above, one token per active row per pass";
    }

    @Override
    public Set<String> families() {
        return Families.RASTER_COMPATIBLE;
    }

    @Override
    public Plan plan(GridSize grid, ConfigNode options, long seed) {
        options.string("name", name());
        requireWidth(grid, options, "window");
        int window = options.intIn("window", Math.min(DEFAULT_WINDOW, grid.width() - 1), 2, grid.width() - 1);
        boolean maskHoles = options.bool("mask_holes", false);
        options.rejectUnknown();
        return new RowWavefrontPlan(grid, (row, generated, g, state) -> generated >= window,
                passes(grid, window), maskHoles);
    }

    /** Forward passes of the fixed-window schedule: 2W + (H − 2)·w for H ≥ 2, W for one row. */
    public static int passes(GridSize grid, int window) {
        return grid.height() == 1 ? grid.width() : 2 * grid.width() + (grid.height() - 2) * window;
    }

    static void requireWidth(GridSize grid, ConfigNode options, String key) {
        if (grid.width() < 3) {
            throw options.error(key, "ZipAR needs a grid at least 3 cells wide (window in [2, width − 1]), got "
                    + grid);
        }
    }
}
