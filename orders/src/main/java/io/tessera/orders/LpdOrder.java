package io.tessera.orders;

import io.tessera.core.config.ConfigNode;
import io.tessera.core.decode.Rng;
import io.tessera.core.spi.GridSize;
import io.tessera.core.spi.OrderScheduler;
import java.util.Arrays;
import java.util.Set;
import org.pf4j.Extension;

/**
 * LPD's locality-aware order (mit-han-lab/lpd {@code orders/lpd_order.py}), drawn from Tessera's
 * portable {@link Rng} instead of Python's generators. Step 1 is one uniformly random cell. Each later
 * step of size o_k:
 * <ol>
 *   <li>every free cell gets a proximity score Σ 1/euclid(c, s) over the already generated cells s in
 *       its 8-neighbourhood (edge 1, diagonal 1/√2; summed in generation order, as the official loop
 *       does);</li>
 *   <li>the free cells are shuffled, then stably sorted by score, descending (random tie-break);</li>
 *   <li>C1 = cells with score ≥ τ ({@code proximity_threshold}), C2 = the rest, in that order;</li>
 *   <li>C1 is taken in order: a cell within Chebyshev distance ρ ({@code repulsion}) of a cell already
 *       picked in this step is filtered, otherwise picked, until o_k are picked or C1 is empty;</li>
 *   <li>C2 is extended by the filtered cells, then the unvisited rest of C1; if cells are still
 *       missing, farthest-point sampling over C2 measured to this step's picks only: if C2 has no more
 *       cells than needed, all of C2 in order; else repeatedly the candidate whose minimum Euclidean
 *       distance to the picks so far is largest, the first such in C2 order on ties (with no picks at
 *       all, the first FPS pick is a uniformly random C2 cell).</li>
 * </ol>
 * A group lists its cells in pick order. Group sizes: {@code steps} (default 20) through
 * {@link GroupSchedules#lpd} (official tables, cosine formula otherwise) or an explicit
 * {@code group_sizes} list starting with 1. Defaults follow the official scripts: τ = 1.0, ρ = 2
 * (the released orders use ρ = 3 for XXL at 20 steps and ρ = 4 at 512 px / 48 steps).
 */
@Extension
public final class LpdOrder implements OrderScheduler {
    public static final int DEFAULT_STEPS = 20;
    public static final double DEFAULT_PROXIMITY_THRESHOLD = 1.0;
    public static final double DEFAULT_REPULSION = 2.0;

    @Override
    public String name() {
        return "lpd";
    }

    @Override
    public String description() {
        return "LPD locality-aware order: random seed cell, groups near generated cells, spread apart within a step";
    }

    @Override
    public Set<String> families() {
        return Families.ANY_ORDER;
    }

    @Override
    public FixedPlan plan(GridSize grid, ConfigNode options, long seed) {
        options.string("name", name());
        int[] sizes = GroupSchedules.fromOptions(options, grid.cells(), DEFAULT_STEPS, GroupSchedules::lpd, true);
        double tau = finiteNonNegative(options, "proximity_threshold", DEFAULT_PROXIMITY_THRESHOLD);
        double rho = finiteNonNegative(options, "repulsion", DEFAULT_REPULSION);
        options.rejectUnknown();
        return FixedPlan.cut(order(grid, sizes, tau, rho, new Rng(seed)), sizes);
    }

    private static double finiteNonNegative(ConfigNode options, String key, double fallback) {
        double v = options.number(key, fallback);
        if (!(v >= 0.0) || Double.isInfinite(v)) {
            throw options.error(key, "must be a finite number ≥ 0, got " + v);
        }
        return v;
    }

    /**
     * The locality-aware order as a list of cells (groups are consecutive runs of {@code sizes}).
     * {@code sizes} must be positive, sum to the number of cells and start with 1.
     */
    public static int[] order(GridSize grid, int[] sizes, double proximityThreshold, double repulsion, Rng rng) {
        int n = grid.cells();
        if (Arrays.stream(sizes).sum() != n || sizes.length == 0 || sizes[0] != 1) {
            throw new IllegalArgumentException("group sizes must start with 1 and sum to " + n);
        }
        int width = grid.width();
        int height = grid.height();
        int[] order = new int[n];
        int[] rank = new int[n];          // generation index of a cell, or −1 while free
        Arrays.fill(rank, -1);
        int done = 0;
        int first = rng.nextInt(n);
        order[done] = first;
        rank[first] = done++;

        int[] free = new int[n];
        double[] score = new double[n];
        int[] neighbourRanks = new int[8];
        double[] neighbourWeights = new double[8];
        for (int step = 1; step < sizes.length; step++) {
            int groupSize = sizes[step];
            // 1. proximity scores of the free cells
            int freeCount = 0;
            for (int cell = 0; cell < n; cell++) {
                if (rank[cell] >= 0) {
                    continue;
                }
                int r = cell / width;
                int c = cell % width;
                int k = 0;
                for (int dr = -1; dr <= 1; dr++) {
                    for (int dc = -1; dc <= 1; dc++) {
                        int rr = r + dr;
                        int cc = c + dc;
                        if ((dr == 0 && dc == 0) || rr < 0 || rr >= height || cc < 0 || cc >= width) {
                            continue;
                        }
                        int s = rank[rr * width + cc];
                        if (s >= 0) {
                            // insertion by generation index, so the sum runs in generation order
                            double weight = 1.0 / Math.sqrt(dr * dr + dc * dc);
                            int at = k++;
                            while (at > 0 && neighbourRanks[at - 1] > s) {
                                neighbourRanks[at] = neighbourRanks[at - 1];
                                neighbourWeights[at] = neighbourWeights[at - 1];
                                at--;
                            }
                            neighbourRanks[at] = s;
                            neighbourWeights[at] = weight;
                        }
                    }
                }
                double sum = 0;
                for (int i = 0; i < k; i++) {
                    sum += neighbourWeights[i];
                }
                score[cell] = sum;
                free[freeCount++] = cell;
            }
            // 2. shuffle, then stable sort by score descending
            int[] candidates = Arrays.copyOf(free, freeCount);
            rng.shuffle(candidates);
            Integer[] boxed = new Integer[freeCount];
            for (int i = 0; i < freeCount; i++) {
                boxed[i] = candidates[i];
            }
            Arrays.sort(boxed, (a, b) -> Double.compare(score[b], score[a]));   // TimSort: stable
            // 3. split by the proximity threshold
            int[] c1 = new int[freeCount];
            int c1Count = 0;
            int[] c2 = new int[freeCount];
            int c2Count = 0;
            for (Integer cell : boxed) {
                if (score[cell] >= proximityThreshold) {
                    c1[c1Count++] = cell;
                } else {
                    c2[c2Count++] = cell;
                }
            }
            // 4. proximity picks with Chebyshev repulsion against this step's picks
            int[] picks = new int[groupSize];
            int pickCount = 0;
            int[] filtered = new int[freeCount];
            int filteredCount = 0;
            int next = 0;
            while (pickCount < groupSize && next < c1Count) {
                int cell = c1[next++];
                if (tooClose(cell, picks, pickCount, width, repulsion)) {
                    filtered[filteredCount++] = cell;
                } else {
                    picks[pickCount++] = cell;
                }
            }
            // 5. C2 += filtered + rest of C1, then farthest-point sampling for the remainder
            System.arraycopy(filtered, 0, c2, c2Count, filteredCount);
            c2Count += filteredCount;
            System.arraycopy(c1, next, c2, c2Count, c1Count - next);
            c2Count += c1Count - next;
            int missing = groupSize - pickCount;
            if (missing > 0) {
                pickCount = farthestPoints(c2, c2Count, picks, pickCount, missing, width, rng);
            }
            for (int i = 0; i < pickCount; i++) {
                order[done] = picks[i];
                rank[picks[i]] = done++;
            }
        }
        return order;
    }

    private static boolean tooClose(int cell, int[] picks, int count, int width, double repulsion) {
        int r = cell / width;
        int c = cell % width;
        for (int i = 0; i < count; i++) {
            int p = picks[i];
            if (Math.abs(r - p / width) <= repulsion && Math.abs(c - p % width) <= repulsion) {
                return true;
            }
        }
        return false;
    }

    /** Appends {@code missing} cells of {@code candidates} to {@code picks}; returns the new pick count. */
    private static int farthestPoints(int[] candidates, int count, int[] picks, int pickCount, int missing,
            int width, Rng rng) {
        if (count <= missing) {
            System.arraycopy(candidates, 0, picks, pickCount, count);
            return pickCount + count;
        }
        // squared distance to the nearest point picked so far (monotone in the Euclidean distance)
        long[] nearest = new long[count];
        Arrays.fill(nearest, Long.MAX_VALUE);
        boolean[] taken = new boolean[count];
        for (int p = 0; p < pickCount; p++) {
            lowerDistances(candidates, count, nearest, picks[p], width);
        }
        for (int m = 0; m < missing; m++) {
            int best;
            if (pickCount == 0) {
                best = rng.nextInt(count);
            } else {
                best = -1;
                long bestDistance = -1;
                for (int i = 0; i < count; i++) {
                    long d = taken[i] ? 0 : nearest[i];
                    if (d > bestDistance) {
                        bestDistance = d;
                        best = i;
                    }
                }
            }
            taken[best] = true;
            picks[pickCount++] = candidates[best];
            lowerDistances(candidates, count, nearest, candidates[best], width);
        }
        return pickCount;
    }

    private static void lowerDistances(int[] candidates, int count, long[] nearest, int point, int width) {
        int pr = point / width;
        int pc = point % width;
        for (int i = 0; i < count; i++) {
            long dr = candidates[i] / width - pr;
            long dc = candidates[i] % width - pc;
            long d = dr * dr + dc * dc;
            if (d < nearest[i]) {
                nearest[i] = d;
            }
        }
    }
}
