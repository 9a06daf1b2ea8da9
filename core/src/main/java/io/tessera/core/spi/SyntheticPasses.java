package io.tessera.core.spi;

import io.tessera.core.spi.EntryKind;
import io.tessera.core.spi.ForwardBatch;

/** Forward passes with made-up inputs for benchmarks: raster slots, causal visibility, CFG-like rows. */
public final class SyntheticPasses {
    private SyntheticPasses() {
    }

    /**
     * {@code length} entries per row at slots [first, first + length) (slot 0 = the class token: class 1
     * in the first half of the rows, the null class 1000 in the second half; other slots feed token
     * (slot·7919) mod 16384), each seeing every slot up to its own.
     */
    public static ForwardBatch raster(int rows, int first, int length, int capacity) {
        return raster(rows, first, length, capacity,
                (row, slot) -> slot == 0 ? (row < Math.max(1, rows / 2) ? 1 : 1000) : (slot * 7919) % 16384);
    }

    /** As {@link #raster(int, int, int, int)} with the id of each (row, slot) given: a class at slot 0, else a token. */
    public static ForwardBatch raster(int rows, int first, int length, int capacity, java.util.function.IntBinaryOperator idOf) {
        int n = rows * length;
        EntryKind[] kinds = new EntryKind[n];
        int[] ids = new int[n];
        int[] pos = new int[n];
        int[] slots = new int[n];
        boolean[] vis = new boolean[n * capacity];
        for (int r = 0; r < rows; r++) {
            for (int t = 0; t < length; t++) {
                int k = r * length + t;
                int slot = first + t;
                kinds[k] = slot == 0 ? EntryKind.CLASS : EntryKind.TOKEN;
                ids[k] = idOf.applyAsInt(r, slot);
                pos[k] = slot;
                slots[k] = slot;
                for (int j = 0; j <= slot; j++) {
                    vis[k * capacity + j] = true;
                }
            }
        }
        return new ForwardBatch(rows, length, kinds, ids, pos, slots, vis);
    }
}
