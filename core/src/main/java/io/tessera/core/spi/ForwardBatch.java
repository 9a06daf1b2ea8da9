package io.tessera.core.spi;

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
 */
public record ForwardBatch(int rows, int length, EntryKind[] kinds, int[] ids, int[] positions, int[] slots,
                           boolean[] visible) {
    public ForwardBatch {
        int n = rows * length;
        if (kinds.length != n || ids.length != n || positions.length != n || slots.length != n) {
            throw new IllegalArgumentException("ForwardBatch arrays must have rows·length = " + n + " entries");
        }
        if (n > 0 && visible.length % n != 0) {
            throw new IllegalArgumentException("visible must have rows·length·capacity entries");
        }
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
}
