package io.tessera.orders;

import io.tessera.core.config.ConfigNode;
import io.tessera.core.spi.GridSize;
import io.tessera.core.spi.OrderScheduler;
import io.tessera.core.spi.Plan;
import java.util.Set;
import org.pf4j.Extension;

/**
 * PAR's order: region tops first, then one cell per region per pass (see {@link ParPlan}).
 *
 * <p>Option {@code regions} n (default 4): a perfect square M² such that M divides both grid sides
 * (4 and 16 are PAR's released models; 1 is raster). {@link #plan} returns a {@link ParPlan}, whose
 * {@link ParPlan#regions()} a PAR adapter checks against its model; {@link #regions(GridSize, ConfigNode)}
 * reads and validates the option alone.
 */
@Extension
public final class ParOrder implements OrderScheduler {
    public static final int DEFAULT_REGIONS = 4;

    @Override
    public String name() {
        return "par";
    }

    @Override
    public String description() {
        return "PAR: first cell of every region one by one, then the same local cell in all regions per pass";
    }

    @Override
    public Set<String> families() {
        return Families.PAR;
    }

    @Override
    public ParPlan plan(GridSize grid, ConfigNode options, long seed) {
        options.string("name", name());
        int n = regions(grid, options);
        options.rejectUnknown();
        return new ParPlan(grid, (int) Math.round(Math.sqrt(n)));
    }

    /** Reads and validates {@code regions} (default 4) for {@code grid}; errors name the YAML path. */
    public static int regions(GridSize grid, ConfigNode options) {
        int n = options.intIn("regions", DEFAULT_REGIONS, 1, grid.cells());
        int side = (int) Math.round(Math.sqrt(n));
        if (side * side != n) {
            throw options.error("regions", "must be a perfect square (4, 16, ...), got " + n);
        }
        if (grid.height() % side != 0 || grid.width() % side != 0) {
            throw options.error("regions", n + " regions need both grid sides divisible by " + side + ", got " + grid);
        }
        return n;
    }

    /** Forward passes: n + N/n − 1. */
    public static int passes(GridSize grid, int regions) {
        return regions + grid.cells() / regions - 1;
    }

    /** For {@link Plan}-typed callers: the region count of a PAR plan, or −1 for any other plan. */
    public static int regionsOf(Plan plan) {
        return plan instanceof ParPlan p ? p.regions() : -1;
    }
}
