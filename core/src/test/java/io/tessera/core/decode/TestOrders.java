package io.tessera.core.decode;

import io.tessera.core.config.ConfigNode;
import io.tessera.core.spi.GridSize;
import io.tessera.core.spi.Group;
import io.tessera.core.spi.OrderScheduler;
import io.tessera.core.spi.Plan;
import io.tessera.core.spi.PlanState;
import java.util.List;
import java.util.Set;

/** Minimal orders for core's own tests (the real ones live in the orders module). */
final class TestOrders {
    private TestOrders() {
    }

    /** Fixed groups, the same for every seed. */
    static OrderScheduler fixed(String name, List<Group> groups, boolean maskUnwritten) {
        return new OrderScheduler() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public String description() {
                return "test order";
            }

            @Override
            public Set<String> families() {
                return Set.of("llamagen", "lpd");
            }

            @Override
            public Plan plan(GridSize grid, ConfigNode options, long seed) {
                return new Plan() {
                    int i;

                    @Override
                    public Group next(PlanState state) {
                        return i < groups.size() ? groups.get(i++) : null;
                    }

                    @Override
                    public boolean maskUnwritten() {
                        return maskUnwritten;
                    }
                };
            }
        };
    }

    static OrderScheduler raster(int cells) {
        Group[] gs = new Group[cells];
        for (int k = 0; k < cells; k++) {
            gs[k] = Group.of(k);
        }
        return fixed("raster", List.of(gs), false);
    }
}
