package io.tessera.examples.spiral;

import io.tessera.core.config.ConfigNode;
import io.tessera.core.spi.GridSize;
import io.tessera.core.spi.Group;
import io.tessera.core.spi.OrderScheduler;
import io.tessera.core.spi.Plan;
import java.util.Arrays;
import java.util.Set;
import org.pf4j.Extension;

/**
 * An outside-in clockwise spiral from the top-left corner, {@code per_pass} cells per forward pass
 * (default 4). YAML: {@code order: {name: spiral, per_pass: 8}}. Position-query families only, since
 * a spiral visits cells whose raster predecessor is not generated yet.
 */
@Extension
public final class SpiralOrder implements OrderScheduler {
    @Override
    public String name() {
        return "spiral";
    }

    @Override
    public String description() {
        return "outside-in spiral, per_pass cells per pass (example plugin)";
    }

    @Override
    public Set<String> families() {
        return Set.of("lpd", "randar");
    }

    @Override
    public Plan plan(GridSize grid, ConfigNode options, long seed) {
        options.string("name", name());
        int perPass = options.intAtLeast("per_pass", 4, 1);
        options.rejectUnknown();
        int[] spiral = spiral(grid);
        return new Plan() {
            private int next;

            @Override
            public Group next(io.tessera.core.spi.PlanState state) {
                if (next == spiral.length) {
                    return null;
                }
                int end = Math.min(next + perPass, spiral.length);
                Group group = Group.of(Arrays.copyOfRange(spiral, next, end));
                next = end;
                return group;
            }

            @Override
            public int plannedPasses() {
                return (spiral.length + perPass - 1) / perPass;
            }
        };
    }

    /** Cells of the grid in outside-in clockwise spiral order. */
    static int[] spiral(GridSize grid) {
        int[] out = new int[grid.cells()];
        int n = 0;
        int top = 0;
        int bottom = grid.height() - 1;
        int left = 0;
        int right = grid.width() - 1;
        while (top <= bottom && left <= right) {
            for (int c = left; c <= right; c++) {
                out[n++] = grid.cell(top, c);
            }
            for (int r = top + 1; r <= bottom; r++) {
                out[n++] = grid.cell(r, right);
            }
            if (top < bottom) {
                for (int c = right - 1; c >= left; c--) {
                    out[n++] = grid.cell(bottom, c);
                }
            }
            if (left < right) {
                for (int r = bottom - 1; r > top; r--) {
                    out[n++] = grid.cell(r, left);
                }
            }
            top++;
            bottom--;
            left++;
            right--;
        }
        return out;
    }
}
