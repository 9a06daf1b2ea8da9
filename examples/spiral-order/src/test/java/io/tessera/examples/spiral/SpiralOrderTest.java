package io.tessera.examples.spiral;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tessera.core.config.ConfigNode;
import io.tessera.core.spi.GridSize;
import io.tessera.core.spi.Group;
import io.tessera.core.spi.Plan;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SpiralOrderTest {
    @Test
    void spiralsInward() {
        assertArrayEquals(new int[] {0, 1, 2, 5, 8, 7, 6, 3, 4}, SpiralOrder.spiral(GridSize.square(3)));
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 9, 14, 13, 12, 11, 10, 5, 6, 7, 8},
                SpiralOrder.spiral(new GridSize(3, 5)));
    }

    @Test
    void everyCellOnceInPerPassGroups() {
        for (GridSize grid : new GridSize[] {new GridSize(1, 1), GridSize.square(2), new GridSize(3, 5),
            new GridSize(5, 3), GridSize.square(16), GridSize.square(24)}) {
            Plan plan = new SpiralOrder().plan(grid,
                    new ConfigNode("order", Map.of("name", "spiral", "per_pass", 3)), 0);
            boolean[] seen = new boolean[grid.cells()];
            int passes = 0;
            for (Group g = plan.next(null); g != null; g = plan.next(null)) {
                assertTrue(g.size() >= 1 && g.size() <= 3);
                for (int i = 0; i < g.size(); i++) {
                    assertTrue(!seen[g.cell(i)], "cell once");
                    seen[g.cell(i)] = true;
                }
                passes++;
            }
            assertEquals(plan.plannedPasses(), passes);
            for (boolean s : seen) {
                assertTrue(s);
            }
        }
    }
}
