package io.tessera.core.decode;

import io.tessera.core.ConfigException;
import io.tessera.core.TesseraException;
import io.tessera.core.model.ParConfig;
import io.tessera.core.model.ParModel;
import io.tessera.core.spi.EntryKind;
import io.tessera.core.spi.GridSize;
import io.tessera.core.spi.Group;
import io.tessera.core.spi.ModelSpec;
import io.tessera.core.spi.OrderScheduler;
import io.tessera.core.spi.Plan;
import io.tessera.core.spi.RegionPlan;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The {@code par} family: a LlamaGen GPT trained on PAR's region-interleaved order with n regions, run
 * exactly as the official {@code generate()} (PAR {@code autoregressive/models/generate.py}) runs it.
 * Targets are implicit: the input at sequence position p predicts reordered token p
 * (s = {@link ParConfig#reorderedIndex}), so only the {@code par} order with the model's n can drive it.
 *
 * <p>Passes (slot = sequence position; RoPE position = the input token's own cell, or 0 for the class
 * and the transition tokens, whose rotary rows are zero):
 * <ol>
 *   <li>pass 0: the class at slot 0 → x_0;</li>
 *   <li>passes 1 .. n−1: x_{p−1} at slot p → x_p (plain causal);</li>
 *   <li>pass n: x_{n−1} at slot n and the transition tokens M_1 .. M_{n−1} (QUERY, id j − 1) at slots n + j →
 *       x_n .. x_{2n−1};</li>
 *   <li>pass p &gt; n: the n tokens of pass p − 1, x_k at slot k + n → x_{k+n} (the same region's next local cell).</li>
 * </ol>
 * Mask (gpt.py {@code setup_caches}): causal, plus bidirectional inside each block of n positions that
 * starts at position n, so every entry of a parallel pass sees the whole pass. All visible slots are written.
 */
public final class ParAdapter implements FamilyAdapter {
    private final ParModel model;
    private final ParConfig config;
    private final GridSize grid;
    private final int n;

    public ParAdapter(ParModel model) {
        this.model = model;
        this.config = model.config();
        this.grid = GridSize.square(config.gpt().grid());
        this.n = config.regions();
    }

    @Override
    public ModelSpec model() {
        return model;
    }

    @Override
    public GridSize grid() {
        return grid;
    }

    @Override
    public int capacity() {
        return grid.cells();
    }

    /** Forward passes of one image: n + N/n − 1. */
    public int passes() {
        return n + grid.cells() / n - 1;
    }

    @Override
    public void checkOrder(OrderScheduler order, Plan samplePlan) {
        if (!order.name().equals("par")) {
            throw new ConfigException("order.name: order '" + order.name() + "' cannot drive a par model, which generates only "
                    + "its own region-interleaved order (use order: {name: par, regions: " + n + "})");
        }
        if (!(samplePlan instanceof RegionPlan rp)) {
            throw new ConfigException("order.name: order 'par' returned a plan that does not state its regions");
        }
        if (rp.regions() != n) {
            throw new ConfigException("order.regions: a PAR-" + n + "× model was trained with " + n + " regions and cannot run "
                    + "the par order with " + rp.regions() + " regions (set order.regions: " + n + ")");
        }
    }

    @Override
    public ImageSteps start(int classId, boolean maskUnwritten) {
        return new Steps(classId);
    }

    /** Cells a PAR model generates at pass {@code p}, in output order. */
    int[] targets(int p) {
        if (p < n) {
            return new int[] {config.cellAt(p)};
        }
        int first = (p - n + 1) * n;
        int[] cells = new int[n];
        for (int r = 0; r < n; r++) {
            cells[r] = config.cellAt(first + r);
        }
        return cells;
    }

    private final class Steps implements ImageSteps {
        private final int classId;
        private int pass;

        Steps(int classId) {
            this.classId = classId;
        }

        @Override
        public StepInputs inputs(Group group, int[] tokens) {
            int p = pass++;
            if (p >= passes()) {
                throw new TesseraException("par: the order scheduled more than the " + passes() + " passes of a PAR-" + n + "× model");
            }
            int[] expected = targets(p);
            int[] got = group.cells();
            int[] a = expected.clone();
            Arrays.sort(a);
            Arrays.sort(got);
            if (!Arrays.equals(a, got)) {
                throw new TesseraException("par: pass " + p + " scheduled cells " + group + ", but a PAR-" + n + "× model generates "
                        + Arrays.toString(expected) + " there");
            }
            List<Entry> entries = new ArrayList<>();
            int visibleEnd;
            if (p == 0) {
                entries.add(new Entry(EntryKind.CLASS, classId, 0, 0, expected[0]));
                visibleEnd = 1;
            } else if (p < n) {
                entries.add(token(tokens, config.cellAt(p - 1), p, expected[0]));
                visibleEnd = p + 1;
            } else if (p == n) {
                entries.add(token(tokens, config.cellAt(n - 1), n, expected[0]));
                for (int j = 1; j < n; j++) {
                    entries.add(new Entry(EntryKind.QUERY, j - 1, 0, n + j, expected[j]));
                }
                visibleEnd = 2 * n;
            } else {
                int first = (p - n) * n; // reordered index of the first fed token
                for (int r = 0; r < n; r++) {
                    entries.add(token(tokens, config.cellAt(first + r), first + r + n, expected[r]));
                }
                visibleEnd = first + 2 * n;
            }
            int cap = capacity();
            boolean[] visible = new boolean[entries.size() * cap];
            for (int e = 0; e < entries.size(); e++) {
                // causal (p < n: one entry at slot p) or the whole group block [.., visibleEnd)
                Arrays.fill(visible, e * cap, e * cap + visibleEnd, true);
            }
            return new StepInputs(entries, visible);
        }

        private Entry token(int[] tokens, int cell, int slot, int target) {
            if (tokens[cell] < 0) {
                throw new TesseraException("par: cell " + cell + " is fed before it was generated");
            }
            return new Entry(EntryKind.TOKEN, tokens[cell], 1 + cell, slot, target);
        }
    }
}
