package io.tessera.core.decode;

import io.tessera.core.ConfigException;
import io.tessera.core.TesseraException;
import io.tessera.core.model.LpdModel;
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
 * The {@code lpd} family: a position-query ViT that generates any cells in any pass, run as the official
 * {@code LPD.sample_tokens} (mit-han-lab/lpd {@code models/lpd.py}) runs it with its KV cache.
 *
 * <p>Cache slots follow the generation order: slot 0 = class, then each pass's targets take the next
 * slots in group order. Pass i feeds
 * <ul>
 *   <li>context: the class (pass 0), or the tokens sampled in pass i − 1 at their slots (overwriting the
 *       queries that predicted them: "fused encode + decode"); their logits are discarded;</li>
 *   <li>queries: one QUERY (id 0: {@code mask_token}, position = target cell) per target, at the target's slot.</li>
 * </ul>
 * Mask ({@code engine.py create_block_causal_mask} over block sizes [1, g_0, g_1, ...]): context entries
 * see every slot up to the end of their block (all earlier slots and each other); queries see every slot up
 * to the end of their own block (the context and each other). Nothing visible is unwritten. The last
 * group is never encoded. The unconditional CFG row embeds {@code fake_latent} (null class = numClasses).
 */
public final class LpdAdapter implements FamilyAdapter {
    private final LpdModel model;
    private final GridSize grid;

    public LpdAdapter(LpdModel model) {
        this.model = model;
        this.grid = GridSize.square(model.config().grid());
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
        return 1 + grid.cells();
    }

    @Override
    public void checkOrder(OrderScheduler order, Plan samplePlan) {
        if (!order.families().contains("lpd")) {
            throw new ConfigException("order.name: order '" + order.name() + "' does not declare the lpd family; it runs on "
                    + String.join(", ", order.families()));
        }
    }

    @Override
    public ImageSteps start(int classId, boolean maskUnwritten) {
        return new Steps(classId);
    }

    private final class Steps implements ImageSteps {
        private final int classId;
        private final int[] slotOf = new int[grid.cells()];
        private int nextSlot = 1;
        private int[] previous; // cells of the previous pass, in group order

        Steps(int classId) {
            this.classId = classId;
            Arrays.fill(slotOf, -1);
        }

        @Override
        public StepInputs inputs(Group group, int[] tokens) {
            List<Entry> entries = new ArrayList<>();
            int contextEnd;
            if (previous == null) {
                entries.add(new Entry(EntryKind.CLASS, classId, 0, 0, -1));
                contextEnd = 1;
            } else {
                for (int cell : previous) {
                    if (tokens[cell] < 0) {
                        throw new TesseraException("lpd: cell " + cell + " of the previous pass has no token");
                    }
                    entries.add(new Entry(EntryKind.TOKEN, tokens[cell], 1 + cell, slotOf[cell], -1));
                }
                contextEnd = nextSlot;
            }
            int contextCount = entries.size();
            for (int j = 0; j < group.size(); j++) {
                int cell = group.cell(j);
                slotOf[cell] = nextSlot++;
                entries.add(new Entry(EntryKind.QUERY, 0, 1 + cell, slotOf[cell], cell));
            }
            int cap = capacity();
            boolean[] visible = new boolean[entries.size() * cap];
            for (int e = 0; e < entries.size(); e++) {
                Arrays.fill(visible, e * cap, e * cap + (e < contextCount ? contextEnd : nextSlot), true);
            }
            previous = group.cells();
            return new StepInputs(entries, visible);
        }
    }
}
