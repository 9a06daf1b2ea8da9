package io.tessera.orders;

import io.tessera.core.config.ConfigNode;
import io.tessera.core.decode.Rng;
import io.tessera.core.spi.GridSize;
import io.tessera.core.spi.OrderScheduler;
import java.util.Locale;
import java.util.Set;
import java.util.stream.IntStream;
import org.pf4j.Extension;

/**
 * A seeded uniform random permutation of the cells (Fisher–Yates with {@link Rng}), cut into groups.
 *
 * <p>Options: {@code schedule}, one of
 * <ul>
 *   <li>{@code lpd} (default): {@link GroupSchedules#lpd} with {@code steps} (default 20);</li>
 *   <li>{@code cosine}: RandAR's schedule {@link GroupSchedules#randarCosine} with {@code steps}
 *       (default 88, RandAR's);</li>
 *   <li>{@code one}: one cell per pass (no {@code steps});</li>
 * </ul>
 * or an explicit {@code group_sizes} list instead of {@code schedule}/{@code steps}. Steps default to
 * the number of cells on grids with fewer cells than the default.
 */
@Extension
public final class RandomOrder implements OrderScheduler {
    public static final int DEFAULT_STEPS = 20;
    public static final int DEFAULT_COSINE_STEPS = 88;

    @Override
    public String name() {
        return "random";
    }

    @Override
    public String description() {
        return "uniform random permutation cut into groups (schedule lpd, cosine as RandAR, or one per pass)";
    }

    @Override
    public Set<String> families() {
        return Families.ANY_ORDER;
    }

    @Override
    public FixedPlan plan(GridSize grid, ConfigNode options, long seed) {
        options.string("name", name());
        int n = grid.cells();
        int[] sizes;
        if (options.has("group_sizes")) {
            if (options.has("schedule")) {
                throw options.error("schedule", "give either schedule or group_sizes, not both");
            }
            sizes = GroupSchedules.fromOptions(options, n, DEFAULT_STEPS, GroupSchedules::lpd, false);
        } else {
            String schedule = options.string("schedule", "lpd").toLowerCase(Locale.ROOT);
            sizes = switch (schedule) {
                case "lpd" -> GroupSchedules.fromOptions(options, n, DEFAULT_STEPS, GroupSchedules::lpd, false);
                case "cosine" -> GroupSchedules.fromOptions(options, n, DEFAULT_COSINE_STEPS,
                        GroupSchedules::randarCosine, false);
                case "one" -> {
                    if (options.has("steps")) {
                        throw options.error("steps", "not used with schedule 'one' (one cell per pass)");
                    }
                    yield GroupSchedules.one(n);
                }
                default -> throw options.error("schedule", "must be one of lpd, cosine, one; got '" + schedule + "'");
            };
        }
        options.rejectUnknown();
        int[] order = IntStream.range(0, n).toArray();
        new Rng(seed).shuffle(order);
        return FixedPlan.cut(order, sizes);
    }
}
