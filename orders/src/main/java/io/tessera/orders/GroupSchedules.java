package io.tessera.orders;

import io.tessera.core.ConfigException;
import io.tessera.core.config.ConfigNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Group-size schedules: how many cells each forward pass generates.
 *
 * <ul>
 *   <li>{@link #lpd(int, int)}: LPD's schedule. The official table ({@code orders/group_sizes_lookup.json}
 *       of mit-han-lab/lpd, bundled as {@code lpd-group-sizes.txt}) for 256 tokens (8–128 steps) and 1024
 *       tokens (32–512 steps); for any other (tokens, steps) the cosine formula {@link #lpdCosine}.</li>
 *   <li>{@link #lpdCosine(int, int)}: cumulative count after step k (1-based) c_k = ⌊N·(1 − cos(πk/2K))⌋,
 *       then c_1 = 1, c_K = N, and every group at least one cell
 *       (c_k = min(max(c_k, c_{k−1} + 1), N − (K − k))). It matches the 20-step table to ±1.</li>
 *   <li>{@link #randarCosine(int, int)}: RandAR's parallel-decoding schedule, as its sampler computes
 *       it: the first step generates 1 cell; after step s (0-based, s ≥ 1) the cumulative target is
 *       min(⌊(1 − cos(π(s+1)/2S))·N + 1⌋, N), each step generates max(target − done, 1) cells, capped
 *       by what is left. It ends when all N cells are done (S steps for every case we checked).</li>
 *   <li>{@link #one(int)}: one cell per pass.</li>
 * </ul>
 * Every returned array has positive entries that sum to {@code tokens}.
 */
public final class GroupSchedules {
    private static final String TABLE = "lpd-group-sizes.txt";
    private static final Map<Long, int[]> LPD_TABLE = loadTable();

    private GroupSchedules() {
    }

    /** One cell per pass. */
    public static int[] one(int tokens) {
        int[] sizes = new int[tokens];
        java.util.Arrays.fill(sizes, 1);
        return sizes;
    }

    /** LPD's group sizes: the official table when it has (tokens, steps), else {@link #lpdCosine}. */
    public static int[] lpd(int tokens, int steps) {
        return lpdTable(tokens, steps).orElseGet(() -> lpdCosine(tokens, steps));
    }

    /** The official LPD table entry for (tokens, steps), if there is one (steps == tokens gives all ones). */
    public static Optional<int[]> lpdTable(int tokens, int steps) {
        if (steps == tokens && tokens > 0) {
            return Optional.of(one(tokens));
        }
        int[] sizes = LPD_TABLE.get(key(tokens, steps));
        return Optional.ofNullable(sizes == null ? null : sizes.clone());
    }

    /** The cosine schedule documented above; needs 1 ≤ steps ≤ tokens and steps ≥ 2 when tokens ≥ 2. */
    public static int[] lpdCosine(int tokens, int steps) {
        checkSteps(tokens, steps);
        int[] cumulative = new int[steps + 1];
        for (int k = 1; k <= steps; k++) {
            int target;
            if (k == 1) {
                target = 1;
            } else if (k == steps) {
                target = tokens;
            } else {
                target = (int) Math.floor(tokens * (1.0 - StrictMath.cos(Math.PI * k / (2.0 * steps))));
            }
            target = Math.max(target, cumulative[k - 1] + 1);
            target = Math.min(target, tokens - (steps - k));
            cumulative[k] = target;
        }
        return differences(cumulative);
    }

    /** RandAR's cosine schedule documented above; needs 1 ≤ steps ≤ tokens. */
    public static int[] randarCosine(int tokens, int steps) {
        checkSteps(tokens, steps);
        int[] sizes = new int[tokens];
        int count = 0;
        int done = 0;
        int next = 1;
        int step = 0;
        while (true) {
            sizes[count++] = next;
            done += next;
            step++;
            if (done >= tokens) {
                break;
            }
            double ratio = 1.0 - StrictMath.cos(Math.PI / 2.0 * (step + 1) / steps);
            int target = (int) Math.min((long) (ratio * tokens + 1), tokens);
            next = Math.min(Math.max(target - done, 1), tokens - done);
        }
        return java.util.Arrays.copyOf(sizes, count);
    }

    private static void checkSteps(int tokens, int steps) {
        if (tokens < 1 || steps < 1 || steps > tokens || (tokens > 1 && steps < 2)) {
            throw new IllegalArgumentException("steps must be in [" + Math.min(2, tokens) + ", " + tokens
                    + "] for " + tokens + " tokens, got " + steps);
        }
    }

    private static int[] differences(int[] cumulative) {
        int[] sizes = new int[cumulative.length - 1];
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = cumulative[i + 1] - cumulative[i];
        }
        return sizes;
    }

    /**
     * Reads {@code steps} or {@code group_sizes} (never both) of an order node. {@code steps} (default
     * {@code defaultSteps}, or {@code tokens} when the grid has fewer cells) goes through
     * {@code schedule}; {@code group_sizes} must be positive and sum to {@code tokens}. When
     * {@code firstMustBeOne}, a group-size list must start with 1 (LPD's first step is one random cell).
     */
    static int[] fromOptions(ConfigNode options, int tokens, int defaultSteps, Schedule schedule,
            boolean firstMustBeOne) {
        if (options.has("group_sizes")) {
            if (options.has("steps")) {
                throw options.error("steps", "give either steps or group_sizes, not both");
            }
            return checkedSizes(options, "group_sizes", options.intList("group_sizes"), tokens, firstMustBeOne);
        }
        int steps = options.intIn("steps", Math.min(defaultSteps, tokens), Math.min(2, tokens), tokens);
        return schedule.sizes(tokens, steps);
    }

    /** Validates an explicit group-size list against a grid of {@code tokens} cells. */
    static int[] checkedSizes(ConfigNode options, String key, List<Long> list, int tokens, boolean firstMustBeOne) {
        if (list.isEmpty()) {
            throw options.error(key, "must not be empty");
        }
        int[] sizes = new int[list.size()];
        long sum = 0;
        for (int i = 0; i < sizes.length; i++) {
            long v = list.get(i);
            if (v < 1 || v > tokens) {
                throw new ConfigException(options.pathOf(key) + "[" + i + "]: must be in [1, " + tokens + "], got " + v);
            }
            sizes[i] = (int) v;
            sum += v;
        }
        if (sum != tokens) {
            throw options.error(key, "must sum to the number of grid cells " + tokens + ", got " + sum);
        }
        if (firstMustBeOne && sizes[0] != 1) {
            throw new ConfigException(options.pathOf(key) + "[0]: the first step generates one cell, got " + sizes[0]);
        }
        return sizes;
    }

    /** A named schedule: group sizes for (tokens, steps). */
    @FunctionalInterface
    interface Schedule {
        int[] sizes(int tokens, int steps);
    }

    private static long key(int tokens, int steps) {
        return ((long) tokens << 32) | steps;
    }

    private static Map<Long, int[]> loadTable() {
        Map<Long, int[]> table = new HashMap<>();
        try (InputStream in = GroupSchedules.class.getResourceAsStream(TABLE)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + TABLE);
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String line;
            while ((line = reader.readLine()) != null) {
                line = line.strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                int colon = line.indexOf(':');
                String[] head = line.substring(0, colon).strip().split("\\s+");
                String[] body = line.substring(colon + 1).strip().split("\\s+");
                int[] sizes = new int[body.length];
                int sum = 0;
                for (int i = 0; i < body.length; i++) {
                    sizes[i] = Integer.parseInt(body[i]);
                    sum += sizes[i];
                }
                int tokens = Integer.parseInt(head[0]);
                int steps = Integer.parseInt(head[1]);
                if (sum != tokens || sizes.length != steps) {
                    throw new IllegalStateException(TABLE + ": bad row '" + head[0] + " " + head[1] + "'");
                }
                table.put(key(tokens, steps), sizes);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Map.copyOf(table);
    }
}
