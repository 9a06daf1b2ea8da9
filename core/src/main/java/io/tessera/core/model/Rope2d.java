package io.tessera.core.model;

/**
 * The 2-D rotary table of LlamaGen ({@code precompute_freqs_cis_2d} with one class token), the one copy
 * every forward uses (cpu-vector, libtorch inference and training). Computed as torch does in float32:
 * θ_j = 1 / base^(2j / (hd/2)) for j &lt; hd/4, angle = (float)(t · θ_j), then cos/sin rounded to float.
 * Row 0 is the class position (all zeros, so q and k become 0); row 1 + k is grid cell k at
 * (y, x) = (k / grid, k % grid): pairs m &lt; hd/4 rotate by y·θ_m, pairs m ≥ hd/4 by x·θ_{m − hd/4}.
 *
 * @param pairs     hd / 2 entries per row
 * @param positions 1 + grid² rows
 * @param cos       [positions, pairs]
 * @param sin       [positions, pairs]
 */
public record Rope2d(int pairs, int positions, float[] cos, float[] sin) {
    /** The table of a {@code grid}×{@code grid} token grid for heads of {@code headDim}. */
    public static Rope2d of(int grid, int headDim, float base) {
        int halfDim = headDim / 2;
        int quarter = halfDim / 2;
        float[] freqs = new float[quarter];
        for (int j = 0; j < quarter; j++) {
            float exponent = (float) (2 * j) / (float) halfDim;  // arange(0, half, 2).float() / half
            float pow = (float) Math.pow(base, exponent);          // base ** exponent, float32
            freqs[j] = 1.0f / pow;
        }
        int positions = 1 + grid * grid;
        float[] cos = new float[positions * halfDim];
        float[] sin = new float[positions * halfDim];
        for (int k = 0; k < grid * grid; k++) {
            int y = k / grid;
            int x = k % grid;
            int row = (1 + k) * halfDim;
            for (int m = 0; m < halfDim; m++) {
                float angle = m < quarter ? y * freqs[m] : x * freqs[m - quarter]; // torch.outer in float32
                cos[row + m] = (float) Math.cos(angle);
                sin[row + m] = (float) Math.sin(angle);
            }
        }
        return new Rope2d(halfDim, positions, cos, sin);
    }

    /** The table of a LlamaGen config (its grid, head_dim and rope_base). */
    public static Rope2d of(LlamaGenConfig c) {
        return of(c.grid(), c.headDim(), c.ropeBase());
    }

    /** Offset of position row {@code p} in {@link #cos} / {@link #sin}. */
    public int offset(int p) {
        return p * pairs;
    }

    /** (cos, sin) interleaved per pair: [positions, pairs, 2], the layout of the official {@code freqs_cis}. */
    public float[] interleaved() {
        float[] out = new float[2 * cos.length];
        for (int i = 0; i < cos.length; i++) {
            out[2 * i] = cos[i];
            out[2 * i + 1] = sin[i];
        }
        return out;
    }
}
