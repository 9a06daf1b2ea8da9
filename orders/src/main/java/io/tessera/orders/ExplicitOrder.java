package io.tessera.orders;

import io.tessera.core.io.Npy;
import io.tessera.core.ConfigException;
import io.tessera.core.config.ConfigNode;
import io.tessera.core.spi.GridSize;
import io.tessera.core.spi.Group;
import io.tessera.core.spi.OrderScheduler;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.pf4j.Extension;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * An order read from a file ({@code file}, relative to the working directory):
 * <ul>
 *   <li>{@code .json}: {@code {"groups": [[cells...], ...]}}, one inner list per pass;</li>
 *   <li>{@code .npy}: an integer array (int32/int64 little-endian, C order, any shape, flattened) of
 *       cell indices in generation order, cut into passes by the required {@code group_sizes} list.</li>
 * </ul>
 * Every cell of the grid must appear exactly once; errors name {@code order.file} and the file.
 */
@Extension
public final class ExplicitOrder implements OrderScheduler {
    @Override
    public String name() {
        return "explicit";
    }

    @Override
    public String description() {
        return "groups read from a file: JSON {\"groups\": [[...], ...]} or .npy cells + group_sizes";
    }

    @Override
    public Set<String> families() {
        return Families.ANY_ORDER;
    }

    @Override
    public FixedPlan plan(GridSize grid, ConfigNode options, long seed) {
        options.string("name", name());
        Path file = Path.of(options.string("file"));
        String where = options.pathOf("file") + ": " + file;
        List<Group> groups;
        if (file.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".npy")) {
            if (!options.has("group_sizes")) {
                throw options.error("group_sizes", "is required with a .npy file (" + file + ")");
            }
            int[] sizes = GroupSchedules.checkedSizes(options, "group_sizes", options.intList("group_sizes"),
                    grid.cells(), false);
            long[] cells;
            try {
                cells = Npy.readInts(file);
            } catch (IOException e) {
                throw new ConfigException(where + ": " + message(e));
            }
            if (cells.length != grid.cells()) {
                throw new ConfigException(where + ": has " + cells.length + " cells, the " + grid + " grid has "
                        + grid.cells());
            }
            int[] order = new int[cells.length];
            for (int i = 0; i < order.length; i++) {
                order[i] = checkedCell(cells[i], grid, where, "index " + i);
            }
            groups = FixedPlan.cutGroups(order, sizes);
        } else {
            if (options.has("group_sizes")) {
                throw options.error("group_sizes", "only used with a .npy file; a JSON file lists its groups");
            }
            groups = readJson(file, grid, where);
        }
        options.rejectUnknown();
        checkCover(groups, grid, where);
        return new FixedPlan(groups, false);
    }

    private static List<Group> readJson(Path file, GridSize grid, String where) {
        Object root;
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            root = new Yaml(new SafeConstructor(io.tessera.core.config.Yamls.options())).load(text);
        } catch (IOException e) {
            throw new ConfigException(where + ": " + message(e));
        } catch (org.yaml.snakeyaml.error.MarkedYAMLException e) {
            String at = e.getProblemMark() == null ? "" : " at line " + (e.getProblemMark().getLine() + 1);
            throw new ConfigException(where + ": not valid JSON" + at + ": " + e.getProblem());
        } catch (YAMLException e) {
            throw new ConfigException(where + ": not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (!(root instanceof Map<?, ?> map) || !(map.get("groups") instanceof List<?> list)) {
            throw new ConfigException(where + ": must be a JSON object with a \"groups\" list of lists");
        }
        List<Group> groups = new ArrayList<>(list.size());
        for (int gi = 0; gi < list.size(); gi++) {
            if (!(list.get(gi) instanceof List<?> cells) || cells.isEmpty()) {
                throw new ConfigException(where + ": groups[" + gi + "] must be a non-empty list of cells");
            }
            int[] g = new int[cells.size()];
            for (int i = 0; i < g.length; i++) {
                Object v = cells.get(i);
                String at = "groups[" + gi + "][" + i + "]";
                if (!(v instanceof Integer || v instanceof Long || v instanceof java.math.BigInteger)) {
                    throw new ConfigException(where + ": " + at + " must be an integer cell index, got " + v);
                }
                long cell = v instanceof java.math.BigInteger big ? big.longValue() : ((Number) v).longValue();
                g[i] = checkedCell(cell, grid, where, at);
            }
            groups.add(Group.of(g));
        }
        return groups;
    }

    private static int checkedCell(long cell, GridSize grid, String where, String at) {
        if (cell < 0 || cell >= grid.cells()) {
            throw new ConfigException(where + ": " + at + ": cell " + cell + " is outside the " + grid
                    + " grid [0, " + grid.cells() + ")");
        }
        return (int) cell;
    }

    private static void checkCover(List<Group> groups, GridSize grid, String where) {
        int[] groupOf = new int[grid.cells()];
        Arrays.fill(groupOf, -1);
        for (int gi = 0; gi < groups.size(); gi++) {
            for (int cell : groups.get(gi).cells()) {
                if (groupOf[cell] >= 0) {
                    throw new ConfigException(where + ": cell " + cell + " appears twice (groups " + groupOf[cell]
                            + " and " + gi + ")");
                }
                groupOf[cell] = gi;
            }
        }
        int missing = 0;
        int firstMissing = -1;
        for (int cell = 0; cell < groupOf.length; cell++) {
            if (groupOf[cell] < 0) {
                missing++;
                if (firstMissing < 0) {
                    firstMissing = cell;
                }
            }
        }
        if (missing > 0) {
            throw new ConfigException(where + ": " + missing + " of " + grid.cells() + " cells never generated (first: "
                    + firstMissing + ")");
        }
    }

    private static String message(IOException e) {
        return e instanceof java.nio.file.NoSuchFileException ? "no such file" : String.valueOf(e.getMessage());
    }
}
