package io.tessera.core.contract;

import io.tessera.core.decode.Rng;
import io.tessera.core.model.LlamaGenConfig;
import io.tessera.core.spi.EntryKind;
import io.tessera.core.spi.ForwardBatch;
import java.util.ArrayList;
import java.util.List;

/**
 * Builders of LlamaGen {@link ForwardBatch}es and the standard pass sequence of the contract suite and the
 * golden files. Slot of grid cell k = 1 + k, position of grid cell k = 1 + k, class at slot 0, position 0.
 */
public final class Passes {
    private Passes() {
    }

    /** One entry of a pass: the same kind, position and slot in every row, one id per row. */
    public record Entry(EntryKind kind, int[] idPerRow, int position, int slot) {
        public Entry {
            idPerRow = idPerRow.clone();
        }

        /** The id of {@code row}. */
        public int id(int row) {
            return idPerRow[row];
        }
    }

    /** Which cache slots the query of the pass's entry {@code t} may attend to (the same for every row). */
    @FunctionalInterface
    public interface Visibility {
        boolean visible(int t, int slot);
    }

    /** A named pass. */
    public record Pass(String name, ForwardBatch batch) {
    }

    /** A batch of {@code entries} (in this order) for {@code rows} rows over a cache of {@code capacity} slots. */
    public static ForwardBatch batch(int rows, int capacity, List<Entry> entries, Visibility visibility) {
        int len = entries.size();
        EntryKind[] kinds = new EntryKind[rows * len];
        int[] ids = new int[rows * len];
        int[] positions = new int[rows * len];
        int[] slots = new int[rows * len];
        boolean[] visible = new boolean[rows * len * capacity];
        for (int r = 0; r < rows; r++) {
            for (int t = 0; t < len; t++) {
                Entry e = entries.get(t);
                int i = r * len + t;
                kinds[i] = e.kind();
                ids[i] = e.id(r);
                positions[i] = e.position();
                slots[i] = e.slot();
                for (int s = 0; s < capacity; s++) {
                    visible[i * capacity + s] = visibility.visible(t, s);
                }
            }
        }
        return new ForwardBatch(rows, len, kinds, ids, positions, slots, visible);
    }

    /** Each entry sees every slot up to and including its own (the official causal mask over cache slots). */
    public static Visibility causalBySlot(List<Entry> entries) {
        return (t, s) -> s <= entries.get(t).slot();
    }

    /** The prefill: one CLASS entry per row (class id of that row) at position 0, slot 0, seeing slot 0 only. */
    public static ForwardBatch prefill(int[] classPerRow, int capacity) {
        List<Entry> e = List.of(new Entry(EntryKind.CLASS, classPerRow, 0, 0));
        return batch(classPerRow.length, capacity, e, causalBySlot(e));
    }

    /** A raster decode step: token {@code tokenPerRow[r]} of grid cell {@code cell}, seeing slots ≤ 1 + cell. */
    public static ForwardBatch rasterStep(int[] tokenPerRow, int cell, int capacity) {
        List<Entry> e = List.of(token(tokenPerRow, cell));
        return batch(tokenPerRow.length, capacity, e, causalBySlot(e));
    }

    /** A TOKEN entry for grid cell {@code cell} at its own position and slot. */
    public static Entry token(int[] tokenPerRow, int cell) {
        return new Entry(EntryKind.TOKEN, tokenPerRow, 1 + cell, 1 + cell);
    }

    /**
     * The standard sequence of the suite and the golden files, for a grid of side G ≥ 4, rows =
     * [{@code classId}; null class], tokens drawn per row from {@code Rng(tokenSeed)} (different in each row).
     * Cell (r, c) = r·G + c. Passes, in order:
     * <ol>
     *   <li>{@code prefill}: the CFG class batch;</li>
     *   <li>{@code raster}: cell (0,0), causal;</li>
     *   <li>{@code multi-causal}: cells (0,1), (0,2), (0,3), (1,0), causal by slot;</li>
     *   <li>{@code zipar-holes}: cells (2,0), (1,1), (3,0) and an auxiliary token at (2,3), listed out of slot
     *       order, causal by slot: unwritten slots such as (1,2), (1,3), (2,1) stay visible (zero K/V holes),
     *       and (2,0) sees (1,1) written later in the same pass;</li>
     *   <li>{@code group-bidirectional}: cells (1,2), (2,3) (overwriting the auxiliary token) and (2,1), each
     *       seeing every slot written so far plus the whole group (non-causal); unwritten slots hidden.</li>
     * </ol>
     */
    public static List<Pass> standard(LlamaGenConfig c, int classId, long tokenSeed) {
        int g = c.grid();
        if (g < 4) {
            throw new IllegalArgumentException("the standard passes need a grid of at least 4×4, got " + g);
        }
        int rows = 2;
        int capacity = 1 + c.blockSize();
        Rng rng = new Rng(tokenSeed);
        boolean[] written = new boolean[capacity];
        List<Pass> passes = new ArrayList<>();

        passes.add(new Pass("prefill", prefill(new int[] {classId, c.nullClass()}, capacity)));
        written[0] = true;

        List<Entry> raster = List.of(token(tokens(rng, rows, c), cell(g, 0, 0)));
        passes.add(new Pass("raster", batch(rows, capacity, raster, causalBySlot(raster))));
        mark(written, raster);

        List<Entry> multi = new ArrayList<>();
        for (int[] rc : new int[][] {{0, 1}, {0, 2}, {0, 3}, {1, 0}}) {
            multi.add(token(tokens(rng, rows, c), cell(g, rc[0], rc[1])));
        }
        passes.add(new Pass("multi-causal", batch(rows, capacity, multi, causalBySlot(multi))));
        mark(written, multi);

        List<Entry> zipar = new ArrayList<>();
        for (int[] rc : new int[][] {{2, 0}, {1, 1}, {3, 0}, {2, 3}}) {
            zipar.add(token(tokens(rng, rows, c), cell(g, rc[0], rc[1])));
        }
        passes.add(new Pass("zipar-holes", batch(rows, capacity, zipar, causalBySlot(zipar))));
        mark(written, zipar);

        List<Entry> group = new ArrayList<>();
        for (int[] rc : new int[][] {{1, 2}, {2, 3}, {2, 1}}) {
            group.add(token(tokens(rng, rows, c), cell(g, rc[0], rc[1])));
        }
        mark(written, group);
        boolean[] seen = written.clone();
        passes.add(new Pass("group-bidirectional", batch(rows, capacity, group, (t, s) -> seen[s])));
        return passes;
    }

    /** Raster index of (row, col) on a grid of side {@code g}. */
    public static int cell(int g, int row, int col) {
        return row * g + col;
    }

    private static int[] tokens(Rng rng, int rows, LlamaGenConfig c) {
        int[] t = new int[rows];
        for (int r = 0; r < rows; r++) {
            t[r] = rng.nextInt(c.vocabSize());
        }
        return t;
    }

    private static void mark(boolean[] written, List<Entry> entries) {
        for (Entry e : entries) {
            written[e.slot()] = true;
        }
    }
}
