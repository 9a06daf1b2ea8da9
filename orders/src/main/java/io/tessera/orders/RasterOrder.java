package io.tessera.orders;

import io.tessera.core.config.ConfigNode;
import io.tessera.core.spi.GridSize;
import io.tessera.core.spi.OrderScheduler;
import io.tessera.core.spi.Plan;
import java.util.Set;
import java.util.stream.IntStream;
import org.pf4j.Extension;

/**
 * The raster order: one cell per forward pass, row by row (LlamaGen's sequential decoding; N passes
 * for N cells). No options besides {@code name}.
 */
@Extension
public final class RasterOrder implements OrderScheduler {
    @Override
    public String name() {
        return "raster";
    }

    @Override
    public String description() {
        return "one cell per pass in raster order (sequential next-token decoding)";
    }

    @Override
    public Set<String> families() {
        return Families.RASTER_COMPATIBLE;
    }

    @Override
    public Plan plan(GridSize grid, ConfigNode options, long seed) {
        options.string("name", name());
        options.rejectUnknown();
        int n = grid.cells();
        int[] order = IntStream.range(0, n).toArray();
        return FixedPlan.cut(order, GroupSchedules.one(n));
    }
}
