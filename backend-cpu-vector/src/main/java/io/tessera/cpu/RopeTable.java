package io.tessera.cpu;

/** The cpu-vector view of core's 2-D rotary table ({@link io.tessera.core.model.Rope2d}: layout and formula there). */
final class RopeTable {
    final int pairs;     // hd / 2 entries per row
    final int positions; // 1 + grid²
    final float[] cos;   // [positions, pairs]
    final float[] sin;   // [positions, pairs]

    RopeTable(int grid, int headDim, float base) {
        io.tessera.core.model.Rope2d t = io.tessera.core.model.Rope2d.of(grid, headDim, base);
        this.pairs = t.pairs();
        this.positions = t.positions();
        this.cos = t.cos();
        this.sin = t.sin();
    }

    /** Offset of position row {@code p} in {@link #cos} / {@link #sin}. */
    int offset(int p) {
        return p * pairs;
    }
}
