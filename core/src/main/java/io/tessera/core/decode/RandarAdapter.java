package io.tessera.core.decode;

import io.tessera.core.ConfigException;
import io.tessera.core.TesseraException;
import io.tessera.core.model.RandarModel;
import io.tessera.core.spi.EntryKind;
import io.tessera.core.spi.GridSize;
import io.tessera.core.spi.Group;
import io.tessera.core.spi.ModelSpec;
import io.tessera.core.spi.OrderScheduler;
import io.tessera.core.spi.Plan;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The {@code randar} family, run as the official {@code RandARTransformer.generate} (ziqipang/RandAR
 * {@code RandAR/model/randar_gpt.py}) runs it with its KV cache; any order's groups drive the targets.
 *
 * <p>Let i be a cell's generation index (its place in the order, across passes). The cache ends up in the
 * training layout [cls, p₀, x₀, p₁, x₁, …]: slot 0 = class, p_i (the position instruction of target i) at
 * slot 1 + 2i, x_i (its sampled token) at slot 2 + 2i. Both p_i and x_i take the RoPE row of cell order[i]
 * (position 1 + cell); the class takes row 0. Pass inputs, exactly as the official loop builds them:
 * <ul>
 *   <li>pass 0, group g₀ = targets 0..n−1: [cls, p₀, …, p_{n−1}] at slots 0, 1, …, n;</li>
 *   <li>a later pass, previous group = targets i..i+n−1 (whose instructions sat at the consecutive slots
 *       1+2i .. 2i+n), new group = targets i+n..i+n+m−1: [x_i, p_{i+1}, x_{i+1}, …, p_{i+n−1}, x_{i+n−1},
 *       p_{i+n}, …, p_{i+n+m−1}] at the consecutive slots 2+2i .. 2i+2n+m, i.e. the previous instructions
 *       are fed again interleaved with their tokens (landing at their training-layout slots) and the new
 *       instructions take the next consecutive slots, to be overwritten the same way by the next pass.</li>
 * </ul>
 * The mask is causal in slots (entry at slot s sees slots ≤ s), so a new instruction sees the earlier
 * new instructions of its pass but none of their tokens. Every visible slot was written in this pass or
 * holds its training-layout entry. Logits are read at the new instructions; the last group's tokens are
 * never fed. The unconditional CFG row embeds the null class (numClasses); the sampled token goes to
 * both halves (the generator feeds one token list to both rows).
 */
public final class RandarAdapter implements FamilyAdapter {
    private final RandarModel model;
    private final GridSize grid;

    public RandarAdapter(RandarModel model) {
        this.model = model;
        this.grid = GridSize.square(model.config().gpt().grid());
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
        return model.cacheCapacity();
    }

    @Override
    public void checkOrder(OrderScheduler order, Plan samplePlan) {
        if (!order.families().contains("randar")) {
            throw new ConfigException("order.name: order '" + order.name() + "' does not declare the randar family; it runs on "
                    + String.join(", ", order.families()));
        }
    }

    @Override
    public ImageSteps start(int classId, boolean maskUnwritten) {
        return new Steps(classId);
    }

    /** Slot of the position instruction of the i-th generated token in the training layout. */
    static int instructionSlot(int i) {
        return 1 + 2 * i;
    }

    private final class Steps implements ImageSteps {
        private final int classId;
        private int[] previous; // cells of the previous pass, in group order
        private int done;       // tokens generated before the previous pass's group (its first index)

        Steps(int classId) {
            this.classId = classId;
        }

        @Override
        public StepInputs inputs(Group group, int[] tokens) {
            List<Entry> entries = new ArrayList<>();
            int first; // generation index of this pass's first target
            int slot;  // next slot to write
            if (previous == null) {
                entries.add(new Entry(EntryKind.CLASS, classId, 0, 0, -1));
                first = 0;
                slot = 1;
            } else {
                slot = instructionSlot(done) + 1;
                for (int j = 0; j < previous.length; j++) {
                    int cell = previous[j];
                    if (tokens[cell] < 0) {
                        throw new TesseraException("randar: cell " + cell + " of the previous pass has no token");
                    }
                    if (j > 0) {
                        entries.add(new Entry(EntryKind.QUERY, 0, 1 + cell, slot++, -1));
                    }
                    entries.add(new Entry(EntryKind.TOKEN, tokens[cell], 1 + cell, slot++, -1));
                }
                first = done + previous.length;
            }
            for (int j = 0; j < group.size(); j++) {
                int cell = group.cell(j);
                entries.add(new Entry(EntryKind.QUERY, 0, 1 + cell, slot++, cell));
            }
            int cap = capacity();
            if (slot > cap) {
                throw new TesseraException("randar: pass writes slot " + (slot - 1) + " beyond the cache of " + cap);
            }
            boolean[] visible = new boolean[entries.size() * cap];
            for (int e = 0; e < entries.size(); e++) {
                Arrays.fill(visible, e * cap, e * cap + entries.get(e).slot() + 1, true);
            }
            done = first;
            previous = group.cells();
            return new StepInputs(entries, visible);
        }
    }
}
