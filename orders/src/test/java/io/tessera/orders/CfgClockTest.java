package io.tessera.orders;

import static io.tessera.orders.OrderTesting.options;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tessera.core.spi.GridSize;
import io.tessera.core.spi.Group;
import io.tessera.core.spi.OrderScheduler;
import io.tessera.core.spi.Plan;
import io.tessera.orders.viz.SimulatedState;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link Plan#cfgClock}: the counter each order's official code compares with {@code cfg_interval},
 * re-stated here from the official loops (not from the plans' formulas). Pass 0 is the prefill and is
 * never asked.
 */
class CfgClockTest {
    /** Group sizes of the whole plan and the clock the plan reports before each pass (index 0 unused). */
    private record Run(List<Integer> sizes, List<Integer> clocks) {
    }

    private static Run run(OrderScheduler order, GridSize grid, Object... keyValues) {
        Plan plan = order.plan(grid, options(order.name(), keyValues), 0);
        SimulatedState state = new SimulatedState(grid);
        List<Integer> sizes = new ArrayList<>();
        List<Integer> clocks = new ArrayList<>();
        int generated = 0;
        for (Group g = plan.next(state); g != null; g = plan.next(state)) {
            clocks.add(plan.cfgClock(sizes.size(), generated));
            sizes.add(g.size());
            generated += g.size();
            state.commit(g);
        }
        return new Run(sizes, clocks);
    }

    @Test
    void rasterCountsDecodeSteps() {
        Run r = run(new RasterOrder(), GridSize.square(8));
        for (int pass = 1; pass < r.sizes().size(); pass++) {
            assertEquals(pass - 1, r.clocks().get(pass), "generate.py decode_n_tokens step i");
        }
    }

    @Test
    void ziparCountsRowZeroStepsThenTokensSampledSinceRowZero() {
        for (int[] gw : new int[][] {{8, 2}, {8, 4}, {16, 4}, {16, 8}, {24, 8}, {5, 3}}) {
            GridSize grid = GridSize.square(gw[0]);
            int width = grid.width();
            Run r = run(new ZiparOrder(), grid, "window", gw[1]);
            // generate_zipar.py: prefill (pass 0), decode_n_tokens(tokens_per_row − 1): i = 0 .. W − 2
            for (int pass = 1; pass < width; pass++) {
                assertEquals(pass - 1, r.clocks().get(pass), grid + " w=" + gw[1] + " row 0, pass " + pass);
            }
            // decode_n_tokens_zipar: num_generated_tokens starts at 0, += every token sampled in a pass
            int numGenerated = 0;
            for (int pass = width; pass < r.sizes().size(); pass++) {
                assertEquals(numGenerated, r.clocks().get(pass), grid + " w=" + gw[1] + " pass " + pass);
                numGenerated += r.sizes().get(pass);
            }
            assertEquals(grid.cells() - width, numGenerated);
        }
    }

    @Test
    void adaptiveZiparSharesTheWavefrontClock() {
        GridSize grid = GridSize.square(8);
        Run r = run(new AdaptiveZiparOrder(), grid);
        int numGenerated = 0;
        for (int pass = 1; pass < r.sizes().size(); pass++) {
            int expected = pass < grid.width() ? pass - 1 : numGenerated;
            assertEquals(expected, r.clocks().get(pass), "pass " + pass);
            if (pass >= grid.width()) {
                numGenerated += r.sizes().get(pass);
            }
        }
    }

    @Test
    void parCountsSequentialStepsThenTokensOfTheParallelSteps() {
        for (int[] gn : new int[][] {{8, 4}, {16, 4}, {16, 16}, {24, 9}, {4, 1}}) {
            GridSize grid = GridSize.square(gn[0]);
            int n = gn[1];
            Run r = run(new ParOrder(), grid, "regions", n);
            // generate.py: prefill (pass 0), decode_n_tokens(ar_token_num − 1 = n − 1): i = 0 .. n − 2
            for (int pass = 1; pass < n; pass++) {
                assertEquals(pass - 1, r.clocks().get(pass), grid + " n=" + n + " pass " + pass);
            }
            // decode_n_tokens_multi: for i in range(0, N − n, n), one pass per i
            int pass = n;
            for (int i = 0; i < grid.cells() - n; i += n) {
                assertEquals(i, r.clocks().get(pass), grid + " n=" + n + " pass " + pass);
                pass++;
            }
            assertEquals(r.sizes().size(), pass);
        }
    }

    @Test
    void oneRegionIsTheRasterClock() {
        Run par = run(new ParOrder(), GridSize.square(6), "regions", 1);
        Run raster = run(new RasterOrder(), GridSize.square(6));
        assertEquals(raster.clocks().subList(1, raster.clocks().size()), par.clocks().subList(1, par.clocks().size()));
    }
}
