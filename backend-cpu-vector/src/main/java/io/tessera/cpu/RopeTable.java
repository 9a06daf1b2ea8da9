package io.tessera.cpu;

/**
 * The 2-D rotary table of LlamaGen ({@code precompute_freqs_cis_2d} with one class token), computed
 * as torch does in float32: θ_j = 1 / base^(2j / (hd/2)) for j &lt; hd/4, angle = (float)(t · θ_j),
 * then cos/sin rounded to float. Row 0 is the class position (all zeros, so q and k become 0);
 * row 1 + k is grid cell k at (y, x) = (k / grid, k % grid): pairs m &lt; hd/4 rotate by y·θ_m,
 * pairs m ≥ hd/4 by x·θ_{m − hd/4}.
 */
final class RopeTable {
    final int pairs;     // hd / 2 entries per row
    final int positions; // 1 + grid²
    final float[] cos;   // [positions, pairs]
    final float[] sin;   // [positions, pairs]

    RopeTable(int grid, int headDim, float base) {
        int halfDim = headDim / 2;
        int quarter = halfDim / 2;
        float[] freqs = new float[quarter];
        for (int j = 0; j < quarter; j++) {
            float exponent = (float) (2 * j) / (float) halfDim;  // arange(0, half, 2).float() / half
            float pow = (float) Math.pow(base, exponent);          // base ** exponent, float32
            freqs[j] = 1.0f / pow;
        }
        this.pairs = halfDim;
        this.positions = 1 + grid * grid;
        this.cos = new float[positions * pairs];
        this.sin = new float[positions * pairs];
        for (int k = 0; k < grid * grid; k++) {
            int y = k / grid;
            int x = k % grid;
            int row = (1 + k) * pairs;
            for (int m = 0; m < pairs; m++) {
                float angle = m < quarter ? y * freqs[m] : x * freqs[m - quarter]; // torch.outer in float32
                cos[row + m] = (float) Math.cos(angle);
                sin[row + m] = (float) Math.sin(angle);
            }
        }
    }

    /** Offset of position row {@code p} in {@link #cos} / {@link #sin}. */
    int offset(int p) {
        return p * pairs;
    }
}
