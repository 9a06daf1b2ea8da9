package io.tessera.core.spi;

import java.util.Arrays;

/**
 * The inputs of one forward pass: {@code rows} sequences (a CFG batch has conditional rows followed
 * by unconditional rows) of {@code length} new entries each. Arrays are flat, row-major.
 *
 * @param rows      batch rows B
 * @param length    new entries per row T
 * @param kinds     [B·T] what each entry embeds
 * @param ids       [B·T] class id, token id or query index (see {@link EntryKind})
 * @param positions [B·T] position-table index: 0 = the class position (for LlamaGen a zero RoPE row,
 *                  which makes q and k exactly 0), 1 + k = grid cell k (raster index)
 * @param slots     [B·T] KV-cache slot each entry writes its key/value to, in [0, capacity)
 * @param visible   [B·T·capacity] whether each entry's query may attend to each cache slot; all
 *                  entries' keys/values of this pass are written before any attention is computed
 * @param cacheRows [B] the session's cache row that batch row r reads and writes (distinct, each in
 *                  [0, rows the session was reset to)); the identity 0..B−1 when a batch fills the whole cache.
 *                  A server passes a subset: the rows of the images active in this pass, in any order.
 */
public record ForwardBatch(int rows, int length, EntryKind[] kinds, int[] ids, int[] positions, int[] slots,
                           boolean[] visible, int[] cacheRows) {
    public ForwardBatch {
        int n = rows * length;
        if (kinds.length != n || ids.length != n || positions.length != n || slots.length != n) {
            throw new IllegalArgumentException("ForwardBatch arrays must have rows·length = " + n + " entries");
        }
        if (n > 0 && visible.length % n != 0) {
            throw new IllegalArgumentException("visible must have rows·length·capacity entries");
        }
        if (cacheRows.length != rows) {
            throw new IllegalArgumentException("cacheRows must name one cache row per batch row: " + cacheRows.length + " for " + rows);
        }
        int[] sorted = cacheRows.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < sorted.length; i++) {
            if (sorted[i] < 0 || (i > 0 && sorted[i] == sorted[i - 1])) {
                throw new IllegalArgumentException("cacheRows must be distinct and ≥ 0, got " + Arrays.toString(cacheRows));
            }
        }
    }

    /** A batch whose row r is cache row r (a batch over the whole cache, as {@code Generator.generate} runs). */
    public ForwardBatch(int rows, int length, EntryKind[] kinds, int[] ids, int[] positions, int[] slots, boolean[] visible) {
        this(rows, length, kinds, ids, positions, slots, visible, identity(rows));
    }

    private static int[] identity(int rows) {
        int[] r = new int[rows];
        for (int i = 0; i < rows; i++) {
            r[i] = i;
        }
        return r;
    }

    /** Cache capacity implied by the mask. */
    public int capacity() {
        return rows * length == 0 ? 0 : visible.length / (rows * length);
    }

    public int index(int row, int t) {
        return row * length + t;
    }

    public boolean isVisible(int row, int t, int slot) {
        return visible[(row * length + t) * capacity() + slot];
    }

    /** The cache row of flat entry {@code e} (row-major: batch row e / length). */
    public int cacheRowOf(int e) {
        return cacheRows[e / length];
    }

    /** Whether batch row r is cache row r for every row. */
    public boolean identityRows() {
        for (int r = 0; r < rows; r++) {
            if (cacheRows[r] != r) {
                return false;
            }
        }
        return true;
    }

    /** Largest cache row named, + 1 (the fewest rows a cache must have to run this batch). */
    public int rowsNeeded() {
        int max = -1;
        for (int r : cacheRows) {
            max = Math.max(max, r);
        }
        return max + 1;
    }
}
