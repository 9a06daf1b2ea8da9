package io.tessera.core.decode;

import io.tessera.core.ConfigException;
import io.tessera.core.TesseraException;
import io.tessera.core.model.LlamaGenModel;
import io.tessera.core.spi.EntryKind;
import io.tessera.core.spi.GridSize;
import io.tessera.core.spi.Group;
import io.tessera.core.spi.ModelSpec;
import io.tessera.core.spi.OrderScheduler;
import io.tessera.core.spi.Plan;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The {@code llamagen} family: a raster next-token GPT. Slot 0 holds the class token, slot 1 + k the
 * token of cell k, and the entry at slot s predicts cell s (its raster successor). RoPE positions
 * equal slots (the class row is zero).
 *
 * <p>Per pass and image, the entries are (sorted by slot, as the official code orders them):
 * the class at slot 0 if not yet written; every generated cell whose token is not yet in the cache
 * (its logits predict its successor if that is a target, else they are discarded — ZipAR's re-feed
 * of a finished row's last token); and for a target whose raster predecessor is not generated, the
 * order's stand-in token written at the predecessor's slot (ZipAR's auxiliary input). Each entry
 * sees every slot up to its own: unwritten slots keep their zero key/value and stay visible, as in
 * the official code; with {@link Plan#maskUnwritten()} they are masked out.
 */
public final class LlamaGenAdapter implements FamilyAdapter {
    private final LlamaGenModel model;
    private final GridSize grid;

    public LlamaGenAdapter(LlamaGenModel model) {
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
        if (!order.families().contains("llamagen")) {
            throw new ConfigException("order.name: order '" + order.name() + "' cannot drive a llamagen (raster next-token) model; "
                    + "it runs on " + String.join(", ", order.families()) + " (llamagen runs raster and zipar orders)");
        }
    }

    @Override
    public ImageSteps start(int classId, boolean maskUnwritten) {
        return new Steps(classId, maskUnwritten);
    }

    private final class Steps implements ImageSteps {
        private final int classId;
        private final boolean maskUnwritten;
        private final int cap = capacity();
        /** slot holds its real content (class or the cell's sampled token) */
        private final boolean[] written = new boolean[cap];
        /** slot holds some content (real, or a stand-in) */
        private final boolean[] occupied = new boolean[cap];

        Steps(int classId, boolean maskUnwritten) {
            this.classId = classId;
            this.maskUnwritten = maskUnwritten;
        }

        @Override
        public StepInputs inputs(Group group, int[] tokens) {
            List<Entry> entries = new ArrayList<>();
            boolean[] targeted = new boolean[grid.cells()];
            for (int i = 0; i < group.size(); i++) {
                targeted[group.cell(i)] = true;
            }
            // 1. the class token (slot 0) and generated tokens not yet in the cache
            if (!written[0]) {
                entries.add(new Entry(EntryKind.CLASS, classId, 0, 0, targeted[0] ? 0 : -1));
            }
            for (int cell = 0; cell < tokens.length; cell++) {
                int slot = 1 + cell;
                if (tokens[cell] >= 0 && !written[slot]) {
                    int succ = cell + 1;
                    int target = succ < grid.cells() && targeted[succ] ? succ : -1;
                    entries.add(new Entry(EntryKind.TOKEN, tokens[cell], slot, slot, target));
                }
            }
            // 2. targets whose predecessor entry is not in this pass: re-feed it, or feed the order's stand-in
            for (int i = 0; i < group.size(); i++) {
                int cell = group.cell(i);
                int predSlot = cell; // slot of cell − 1 (or the class slot for cell 0)
                if (hasEntryAt(entries, predSlot)) {
                    continue;
                }
                if (cell == 0) {
                    entries.add(new Entry(EntryKind.CLASS, classId, 0, 0, 0));
                } else if (tokens[cell - 1] >= 0) {
                    entries.add(new Entry(EntryKind.TOKEN, tokens[cell - 1], predSlot, predSlot, cell));
                } else {
                    int standIn = group.standIn(i);
                    if (standIn < 0 || tokens[standIn] < 0) {
                        throw new TesseraException("llamagen: cell " + cell + " (row " + grid.row(cell) + ", col " + grid.col(cell)
                                + ") is scheduled before its raster predecessor and the order gave no generated stand-in");
                    }
                    entries.add(new Entry(EntryKind.TOKEN, tokens[standIn], predSlot, predSlot, cell));
                }
            }
            entries.sort(Comparator.comparingInt(Entry::slot));
            for (int e = 1; e < entries.size(); e++) {
                if (entries.get(e).slot() == entries.get(e - 1).slot()) {
                    throw new TesseraException("llamagen: two inputs of one pass write cache slot " + entries.get(e).slot());
                }
            }
            // 3. bookkeeping: everything fed is in the cache after this pass
            for (Entry en : entries) {
                occupied[en.slot()] = true;
                // a stand-in sits at the slot of a cell that is not generated yet: not the real content
                written[en.slot()] = en.kind() == EntryKind.CLASS || tokens[en.slot() - 1] >= 0;
            }
            // 4. masks: each entry sees slots ≤ its own (holes stay visible unless masked)
            boolean[] visible = new boolean[entries.size() * cap];
            for (int e = 0; e < entries.size(); e++) {
                int s = entries.get(e).slot();
                for (int j = 0; j <= s; j++) {
                    visible[e * cap + j] = !maskUnwritten || occupied[j];
                }
            }
            return new StepInputs(entries, visible);
        }

        private boolean hasEntryAt(List<Entry> entries, int slot) {
            for (Entry e : entries) {
                if (e.slot() == slot) {
                    return true;
                }
            }
            return false;
        }
    }
}
