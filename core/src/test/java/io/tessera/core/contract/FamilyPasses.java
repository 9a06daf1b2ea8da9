package io.tessera.core.contract;

import io.tessera.core.config.ConfigNode;
import io.tessera.core.decode.Entry;
import io.tessera.core.decode.FamilyAdapter;
import io.tessera.core.decode.Rng;
import io.tessera.core.decode.StepInputs;
import io.tessera.core.spi.EntryKind;
import io.tessera.core.spi.ForwardBatch;
import io.tessera.core.spi.GridSize;
import io.tessera.core.spi.Group;
import io.tessera.core.spi.OrderScheduler;
import io.tessera.core.spi.Plan;
import io.tessera.core.spi.PlanState;
import io.tessera.core.spi.RegionPlan;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Forward passes of the position-query and PAR families for the contract suite: a family adapter driven
 * by a contract order over a whole grid, with "sampled" tokens drawn from a seeded {@link Rng}, as CFG
 * batches [class; null class] (the unconditional row swaps the CLASS id for the model's null class), and
 * the two orders (written from the papers' definitions, independent of the orders module).
 */
public final class FamilyPasses {
    private FamilyPasses() {
    }

    /** Every pass of one generation of {@code classId} with random tokens, over a cache of {@code adapter.capacity()}. */
    public static List<ForwardBatch> passes(FamilyAdapter adapter, OrderScheduler order, int classId, long tokenSeed) {
        GridSize grid = adapter.grid();
        Plan plan = order.plan(grid, ConfigNode.empty("order"), 0);
        FamilyAdapter.ImageSteps steps = adapter.start(classId, false);
        int[] tokens = new int[grid.cells()];
        Arrays.fill(tokens, -1);
        Rng rng = new Rng(tokenSeed);
        List<ForwardBatch> out = new ArrayList<>();
        int cap = adapter.capacity();
        for (Group g = plan.next(null); g != null; g = plan.next(null)) {
            StepInputs in = steps.inputs(g, tokens);
            out.add(cfgBatch(in, cap, adapter.model().nullClass()));
            for (int c : g.cells()) {
                tokens[c] = rng.nextInt(adapter.model().vocabSize());
            }
        }
        return out;
    }

    /** One image's inputs as a two-row CFG batch. */
    public static ForwardBatch cfgBatch(StepInputs in, int cap, int nullClass) {
        List<Entry> es = in.entries();
        int len = es.size();
        EntryKind[] kinds = new EntryKind[2 * len];
        int[] ids = new int[2 * len];
        int[] pos = new int[2 * len];
        int[] slots = new int[2 * len];
        boolean[] visible = new boolean[2 * len * cap];
        for (int r = 0; r < 2; r++) {
            for (int t = 0; t < len; t++) {
                Entry e = es.get(t);
                int k = r * len + t;
                kinds[k] = e.kind();
                ids[k] = r == 1 && e.kind() == EntryKind.CLASS ? nullClass : e.id();
                pos[k] = e.position();
                slots[k] = e.slot();
                System.arraycopy(in.visible(), t * cap, visible, k * cap, cap);
            }
        }
        return new ForwardBatch(2, len, kinds, ids, pos, slots, visible);
    }

    /**
     * PAR's order (arXiv 2412.15119; ALGORITHMS.md §B.1) with n = M² regions of a square grid: the top-left cell
     * of each region one per pass (regions in raster order), then local cell j of every region per pass.
     */
    public static OrderScheduler parOrder(int regions) {
        return new ContractOrder("par", Set.of("par", "lpd", "randar")) {
            @Override
            public Plan plan(GridSize grid, ConfigNode options, long seed) {
                int m = (int) Math.round(Math.sqrt(regions));
                int rs = grid.height() / m;
                List<Group> groups = new ArrayList<>();
                for (int local = 0; local < rs * rs; local++) {
                    int[] cells = new int[regions];
                    for (int region = 0; region < regions; region++) {
                        cells[region] = grid.cell(region / m * rs + local / rs, region % m * rs + local % rs);
                    }
                    if (local == 0) {
                        for (int c : cells) {
                            groups.add(Group.of(c));
                        }
                    } else {
                        groups.add(Group.of(cells));
                    }
                }
                return new ListPlan(groups, regions);
            }
        };
    }

    /** A seeded uniform random permutation cut into groups of {@code sizes} (an LPD-style any-order schedule). */
    public static OrderScheduler randomOrder(int... sizes) {
        return new ContractOrder("random", Set.of("lpd", "randar")) {
            @Override
            public Plan plan(GridSize grid, ConfigNode options, long seed) {
                int[] perm = new int[grid.cells()];
                for (int i = 0; i < perm.length; i++) {
                    perm[i] = i;
                }
                new Rng(seed ^ 0x1234L).shuffle(perm);
                List<Group> groups = new ArrayList<>();
                int at = 0;
                for (int s : sizes) {
                    groups.add(Group.of(Arrays.copyOfRange(perm, at, at + s)));
                    at += s;
                }
                if (at != perm.length) {
                    throw new IllegalArgumentException("group sizes sum to " + at + ", grid has " + perm.length + " cells");
                }
                return new ListPlan(groups, -1);
            }
        };
    }

    private abstract static class ContractOrder implements OrderScheduler {
        private final String name;
        private final Set<String> families;

        ContractOrder(String name, Set<String> families) {
            this.name = name;
            this.families = families;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public String description() {
            return "contract-suite order";
        }

        @Override
        public Set<String> families() {
            return families;
        }
    }

    /** Fixed groups; a {@link RegionPlan} when regions ≥ 1. */
    private static final class ListPlan implements RegionPlan {
        private final List<Group> groups;
        private final int regions;
        private int next;

        ListPlan(List<Group> groups, int regions) {
            this.groups = groups;
            this.regions = regions;
        }

        @Override
        public Group next(PlanState state) {
            return next < groups.size() ? groups.get(next++) : null;
        }

        @Override
        public int plannedPasses() {
            return groups.size();
        }

        @Override
        public int regions() {
            return regions;
        }
    }
}
