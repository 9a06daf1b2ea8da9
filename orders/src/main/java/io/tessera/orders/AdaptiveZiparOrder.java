package io.tessera.orders;

import io.tessera.core.config.ConfigNode;
import io.tessera.core.spi.GridSize;
import io.tessera.core.spi.OrderScheduler;
import io.tessera.core.spi.Plan;
import io.tessera.core.spi.PlanState;
import java.util.Set;
import org.pf4j.Extension;

/**
 * ZipAR with a confidence-driven window: <b>Tessera's own design</b>. The ZipAR paper describes an
 * adaptive window, but the official code has fixed windows only and the paper's rule is not
 * available, so this is not a reproduction of it.
 *
 * <p>Rule: row 0 is sequential and row 1 starts once row 0 is complete, as in {@link ZiparOrder}.
 * For r ≥ 1, before each pass, row r+1 starts when row r holds g tokens with
 * <ul>
 *   <li>g ≥ {@code max_window}, or</li>
 *   <li>g ≥ {@code min_window} and the sampler's probability ({@link PlanState#confidence}) of each of
 *       row r's last {@code min_window} tokens (its frontier) is ≥ {@code threshold}.</li>
 * </ul>
 * Each active row then gains one token per pass, so the lag between rows r and r+1 is fixed once
 * r+1 starts and lies in [min_window, max_window]. Since max_window ≤ W − 1, row r+1 always starts
 * before row r is complete; its first cell gets row r−1's latest token as stand-in, as in ZipAR. The
 * invariants hold for every confidence sequence: every cell once, cell (r, c) only after row r−1 holds
 * min(c + min_window, W) tokens, every started row's first cell has its predecessor or a stand-in.
 * With confidence 1 everywhere it equals {@code zipar} with window = min_window; with confidence 0,
 * {@code zipar} with window = max_window.
 *
 * <p>Options: {@code min_window} (default 2), {@code max_window} (default 8, or W − 1 for narrower
 * grids), 2 ≤ min_window ≤ max_window ≤ W − 1; {@code threshold} in [0, 1] (default 0.9);
 * {@code mask_holes} as in {@link ZiparOrder}. The pass count depends on the model, so
 * {@link Plan#plannedPasses()} is −1.
 */
@Extension
public final class AdaptiveZiparOrder implements OrderScheduler {
    @Override
    public String name() {
        return "zipar-adaptive";
    }

    @Override
    public String description() {
        return "Tessera's adaptive ZipAR: next row starts early when the model is confident (not in the official code)";
    }

    @Override
    public Set<String> families() {
        return Families.RASTER_COMPATIBLE;
    }

    @Override
    public Plan plan(GridSize grid, ConfigNode options, long seed) {
        options.string("name", name());
        ZiparOrder.requireWidth(grid, options, "max_window");
        int widest = grid.width() - 1;
        int minWindow = options.intIn("min_window", 2, 2, widest);
        int maxWindow = options.intIn("max_window", Math.max(minWindow, Math.min(ZiparOrder.DEFAULT_WINDOW, widest)),
                2, widest);
        if (maxWindow < minWindow) {
            throw options.error("max_window", "must be ≥ min_window " + minWindow + ", got " + maxWindow);
        }
        double threshold = options.number("threshold", 0.9);
        if (!(threshold >= 0.0 && threshold <= 1.0)) {
            throw options.error("threshold", "must be in [0, 1], got " + threshold);
        }
        boolean maskHoles = options.bool("mask_holes", false);
        options.rejectUnknown();
        return new RowWavefrontPlan(grid, (row, generated, g, state) -> {
            if (generated >= maxWindow) {
                return true;
            }
            if (generated < minWindow) {
                return false;
            }
            for (int c = generated - minWindow; c < generated; c++) {
                if (!(state.confidence(g.cell(row, c)) >= threshold)) {
                    return false;
                }
            }
            return true;
        }, -1, maskHoles);
    }
}
