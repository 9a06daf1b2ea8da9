package io.tessera.cpu;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Convolution as a register-blocked GEMM, C [cout, positions] = A [cout, K] · B [K, positions] with
 * K = cin·k·k, on {@code FloatVector.SPECIES_PREFERRED} (L lanes: 16 with AVX-512). 3×3 convs on
 * larger images run as Winograd F(2×2, 3×3) instead (see {@link #winograd(int, int, int, int, int)}):
 * 16 GEMMs over the input channels on the same packed micro-kernel, 2.25× fewer multiplies. GroupNorm
 * can be fused into a conv's input ({@link #normConv}).
 *
 * <p><b>No im2col.</b> The input is copied once into a zero-padded source with row stride
 * w2 = ow + 2 (3×3; the nearest-×2 upsample is applied in this copy), and outputs are computed at
 * "padded" positions q = y·w2 + x for x &lt; w2, two columns per row being junk that is dropped at the
 * end. Then the B operand of tap (ci, ky, kx) for the L outputs q .. q+L−1 is the contiguous slice
 * src[ci·plane + ky·w2 + kx + q ..], so every B vector is one plain load from the source, for all
 * taps and across row ends. A 1×1 conv reads its input in place (w2 = ow, no padding; copied only
 * when the last block would read past its end).
 *
 * <p><b>Packing.</b> A is packed once per session into panels of MR output channels:
 * weights[panel][k][MR] (MR consecutive floats per k, zero rows beyond cout), so the micro-kernel's
 * broadcasts walk one contiguous stream.
 *
 * <p><b>Blocking.</b> Micro-tile: MR = 8 output channels × NR = 2 vectors (2L positions), 16 FMA
 * accumulators held in registers over a K range; per k, two B loads and eight broadcasts (each a
 * memory-operand {@code vbroadcastss}) feed 16 FMAs; the micro-kernel walks (ci, ky) in loops and
 * unrolls kx, so all its indices are linear in its loop counters. A task is NB = 4·NR positions × up
 * to MC = 64 output channels (8 panels); inside it, K is cut into blocks of KC_CH = 64 input
 * channels (64·k·k values of k): for each K block, for each panel, for each micro-tile. The panel's
 * K-block slice of A (8·576 floats for 3×3 = 18 KB) stays in L1 across the 4 micro-tiles; the
 * task's B block (64 channels × 3 rows × NB positions) stays in L2 across the 8 panels. Partial sums
 * live in the task's own C block [MC, NB] (32 KB, zeroed per task, in cache; no image-sized scratch)
 * and are reloaded by the next K block; this does not change the result: every output is one chain
 * of FMAs over k = 0 .. K−1 in order, and the bias is added when the task copies its C block into
 * the output without the junk columns. Tasks (position block, channel group) are fixed by the
 * shapes, not by the thread count, so results are bit-identical for any number of threads.
 *
 * <p><b>Measured</b> on AVX-512 (32 registers), one thread, the 3×3 shapes of VQ-16 (thread CPU
 * time): 8 × 2 vectors ≈ 110–120 GFLOP/s (≈ 70 % of a core's FMA peak), 12 × 2 the same within noise
 * (but it pads 128 channels to 132); in wall time on the loaded machine 8 × 3, 4 × 4 and 4 × 3 were
 * 10–15 % and 6 × 4 40 % slower than 8 × 2. K blocks of 16–128 channels, 2–8 micro-tiles and 4–16
 * panels per task were within ±5 % of each other.
 */
final class VectorConvKernels extends ConvKernels {
    private static final VectorSpecies<Float> F = VectorKernels.F;
    private static final int L = F.length();
    /** Output channels per micro-tile (rows of A broadcast per k). */
    static final int MR = 8;
    /** Output positions per micro-tile (two vectors). */
    static final int NR = 2 * L;
    /** Micro-tiles per task (positions per task NB = TILES · NR). */
    private static final int TILES = 4;
    private static final int NB = TILES * NR;
    /** Panels of MR channels per task (64 output channels). */
    private static final int PANELS_PER_TASK = 8;
    /** Input channels per K block. */
    private static final int KC_CH = 64;

    @Override
    Packed pack(String name, float[] w, float[] bias, int cout, int cin, int ks) {
        int k = cin * ks * ks;
        int panels = (cout + MR - 1) / MR;
        float[] packed = new float[Math.multiplyExact(panels * MR, k)];
        for (int co = 0; co < cout; co++) {
            int base = (co / MR) * k * MR + co % MR;
            for (int i = 0; i < k; i++) {
                packed[base + i * MR] = w[co * k + i];
            }
        }
        return new Packed(name, cout, cin, ks, packed, Arrays.copyOf(bias, panels * MR));
    }

    @Override
    void conv(Parallel pool, Packed p, float[] in, int h, int w, boolean upsample, float[] out) {
        conv(pool, p, in, h, w, upsample, out, null, null, false);
    }

    /**
     * GroupNorm statistics per group (as {@link #groupNorm}) into per-channel scale and shift, then the
     * conv reads in[c]·scale[c] + shift[c] (then swish) while it builds its padded source: the
     * normalised image is never stored. The same float operations as groupNorm then conv, so the same
     * bits.
     */
    @Override
    void normConv(Parallel pool, Packed p, float[] in, int h, int w, boolean upsample, float[] out, int groups,
                  float[] gamma, float[] beta, float eps, boolean swish) {
        int cin = p.cin();
        int hw = h * w;
        float[] scale = new float[cin];
        float[] shift = new float[cin];
        pool.range(groups, (from, to) -> {
            float[] scratch = new float[L];
            for (int g = from; g < to; g++) {
                affine(in, cin, hw, groups, gamma, beta, eps, g, scale, shift, scratch);
            }
        });
        conv(pool, p, in, h, w, upsample, out, scale, shift, swish);
    }

    /** The conv; when {@code scale} is not null its input is in·scale + shift (then swish), per channel. */
    private void conv(Parallel pool, Packed p, float[] in, int h, int w, boolean upsample, float[] out, float[] scale,
                      float[] shift, boolean swish) {
        final int ks = p.ks();
        final int cin = p.cin();
        final int cout = p.cout();
        final int oh = upsample ? 2 * h : h;
        final int ow = upsample ? 2 * w : w;
        final int w2 = ks == 3 ? ow + 2 : ow;                  // source row stride
        final int plane = ks == 3 ? (oh + 2) * w2 : oh * ow;   // source channel stride
        final int positions = oh * w2;                         // padded output positions (junk columns included)
        final int tiles = (positions + NR - 1) / NR;           // micro-tiles along the positions
        final int blocks = (tiles + TILES - 1) / TILES;        // tasks along the positions (the last may be short)
        final int pr = tiles * NR;                             // computed positions: row stride of dst
        final int kDim = cin * ks * ks;
        final int maxOff = ks == 3 ? 2 * w2 + 2 : 0;
        final int srcLen = Math.max(cin * plane, (cin - 1) * plane + pr + maxOff);
        final float[] src = source(pool, in, cin, h, w, oh, ow, ks, upsample, w2, plane, srcLen, scale, shift, swish);
        if (winograd(ks, cin, cout, oh, ow)) {
            winograd(pool, p, src, oh, ow, w2, plane, out);
            return;
        }
        final int panels = (cout + MR - 1) / MR;
        final int groups = (panels + PANELS_PER_TASK - 1) / PANELS_PER_TASK;
        final float[] a = p.weights();
        final float[] bias = p.bias();
        pool.range(blocks * groups, (from, to) -> {
            float[] c = new float[PANELS_PER_TASK * MR * NB];  // the task's C block [channels, NB], row stride NB
            for (int t = from; t < to; t++) {
                int p0 = (t / groups) * NB;
                int p1 = Math.min(pr, p0 + NB);
                int g = t % groups;
                int panel0 = g * PANELS_PER_TASK;
                int panel1 = Math.min(panels, panel0 + PANELS_PER_TASK);
                Arrays.fill(c, 0, (panel1 - panel0) * MR * NB, 0f);
                for (int ci0 = 0; ci0 < cin; ci0 += KC_CH) {
                    int ci1 = Math.min(cin, ci0 + KC_CH);
                    for (int panel = panel0; panel < panel1; panel++) {
                        int aOff = panel * kDim * MR;
                        int row = (panel - panel0) * MR * NB - p0;
                        for (int q = p0; q < p1; q += NR) {
                            if (ks == 3) {
                                tile3(a, aOff, src, plane, w2, ci0, ci1, q, c, row + q, NB);
                            } else {
                                tile1(a, aOff, src, plane, ci0, ci1, q, c, row + q, NB);
                            }
                        }
                    }
                }
                // + bias into out [cout, oh, ow], dropping junk columns (x ≥ ow), positions past oh·w2 and padded channels
                int pEnd = Math.min(p1, positions);
                for (int co = panel0 * MR; co < Math.min(cout, panel1 * MR); co++) {
                    float b = bias[co];
                    int cRow = (co - panel0 * MR) * NB - p0;
                    for (int q = p0; q < pEnd; ) {
                        int y = q / w2;
                        int x = q - y * w2;
                        int run = Math.min(pEnd - q, w2 - x);      // to the end of this padded row
                        int o = (co * oh + y) * ow;
                        for (int i = x; i < Math.min(ow, x + run); i++) {
                            out[o + i] = c[cRow + q + (i - x)] + b;
                        }
                        q += run;
                    }
                }
            }
        });
    }

    // ---------------------------------------------------------------- Winograd F(2×2, 3×3)

    /** 2×2 output tiles per Winograd task (one micro-tile; 64 and 128 were 3–10 % slower). */
    private static final int WNB = NR;
    /** Winograd needs at least this many 2×2 output tiles (two tasks: 16×16 pixels; smaller runs the direct GEMM). */
    private static final int WINOGRAD_MIN_TILES = 2 * WNB;
    /** ... and at least this many output channels (its input transform is paid once for all of them). */
    private static final int WINOGRAD_MIN_COUT = 2 * MR;
    /**
     * ... and at most this many weights cin·cout: the transformed weights (16 per (co, ci), 16/9 of the
     * conv's) are kept per session; VQ-16's 512→512 convs (16 MB each, 11 of them at 16² and 32²) run
     * the direct GEMM, the rest (conv_in and the 128- and 256-channel levels) take ≈ 86 MB of heap.
     */
    private static final int WINOGRAD_MAX_WEIGHTS = 256 * 512;

    /**
     * Whether a conv runs as Winograd F(2×2, 3×3): 3×3, even output sides, ≥ 64 tiles, ≥ 16 output
     * channels, cin·cout ≤ 256·512. Measured against the direct GEMM, one thread, thread CPU time: 128→128 at 256²
     * 173 → 129 ms, 256→256 at 64² 41 → 24 ms, 512→512 at 16² 11.0 → 6.4 ms; 3←128 (conv_out) was
     * slower (the input transform is paid for 3 outputs).
     */
    static boolean winograd(int ks, int cin, int cout, int oh, int ow) {
        return ks == 3 && oh % 2 == 0 && ow % 2 == 0 && (oh / 2) * (ow / 2) >= WINOGRAD_MIN_TILES
                && cout >= WINOGRAD_MIN_COUT && (long) cin * cout <= WINOGRAD_MAX_WEIGHTS;
    }
    /** Transformed weights per packed conv, made on first use (only convs that run as Winograd get them). */
    private final java.util.Map<Packed, float[]> winogradWeights = new java.util.IdentityHashMap<>();

    /**
     * U = G·g·Gᵀ for every (co, ci) of a packed 3×3 conv, G = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]],
     * packed as 16 GEMM operands in panel layout: u[((ξ·panels + panel)·cin + ci)·MR + r], ξ = 4i + j.
     */
    private float[] winogradWeights(Packed p) {
        synchronized (winogradWeights) {
            return winogradWeights.computeIfAbsent(p, VectorConvKernels::transformWeights);
        }
    }

    private static float[] transformWeights(Packed p) {
        int cin = p.cin();
        int panels = (p.cout() + MR - 1) / MR;
        int k = cin * 9;
        float[] a = p.weights();
        float[] u = new float[16 * panels * cin * MR];
        float[] gg = new float[12];
        for (int panel = 0; panel < panels; panel++) {
            for (int ci = 0; ci < cin; ci++) {
                for (int r = 0; r < MR; r++) {
                    int g = (panel * k + ci * 9) * MR + r; // g[ky][kx] = a[g + (3ky + kx)·MR]
                    for (int kx = 0; kx < 3; kx++) {      // G·g: 4 × 3
                        float g0 = a[g + kx * MR];
                        float g1 = a[g + (3 + kx) * MR];
                        float g2 = a[g + (6 + kx) * MR];
                        gg[kx] = g0;
                        gg[3 + kx] = 0.5f * (g0 + g1 + g2);
                        gg[6 + kx] = 0.5f * (g0 - g1 + g2);
                        gg[9 + kx] = g2;
                    }
                    for (int i = 0; i < 4; i++) {         // (G·g)·Gᵀ: 4 × 4
                        float x0 = gg[3 * i];
                        float x1 = gg[3 * i + 1];
                        float x2 = gg[3 * i + 2];
                        float[] row = {x0, 0.5f * (x0 + x1 + x2), 0.5f * (x0 - x1 + x2), x2};
                        for (int j = 0; j < 4; j++) {
                            u[(((4 * i + j) * panels + panel) * cin + ci) * MR + r] = row[j];
                        }
                    }
                }
            }
        }
        return u;
    }

    /**
     * The 3×3 conv as Winograd F(2×2, 3×3) on the padded source: per 2×2 output tile, the 4×4 input
     * patch d becomes V = Bᵀ·d·B, the 16 products M_ξ = U_ξ · V_ξ are GEMMs over the input channels
     * (the 1×1 micro-kernel {@link #tile1}), and the tile is Aᵀ·M·A + bias, with
     * Bᵀ = [[1, 0, −1, 0], [0, 1, 1, 0], [0, −1, 1, 0], [0, 1, 0, −1]] and Aᵀ = [[1, 1, 1, 0], [0, 1, −1, −1]].
     * 2.25× fewer multiplies than the direct conv; a task is WNB consecutive tiles (row-major over the
     * tile grid) × all output channels: its V block [16, cin, WNB] is built once, then for each ξ
     * (V_ξ in L1, 16 KB at 128 channels) for each panel the GEMM accumulates into the task's M block
     * [cout, 16, WNB] (L2), then the output transform. Each output is the same sequence of operations
     * whatever thread runs its task.
     */
    private void winograd(Parallel pool, Packed p, float[] src, int oh, int ow, int w2, int plane, float[] out) {
        final int cin = p.cin();
        final int cout = p.cout();
        final int panels = (cout + MR - 1) / MR;
        final float[] u = winogradWeights(p);
        final float[] bias = p.bias();
        final int tw = ow / 2;
        final int nt = (oh / 2) * tw;
        // V block [ξ][ci][WNB]: one V_ξ (cin·WNB floats, 16 KB at 128 channels) stays in L1 across the
        // panels; M block [cout][ξ][WNB]. Strides padded by one vector (no 4 KB-multiple strides).
        final int vXi = cin * WNB + L;
        final int mRow = 16 * WNB + L;
        // L consecutive tiles of a task lie in one tile row when the tile grid's width is a multiple of L
        // (tasks start at multiples of WNB = 2L): then the transforms run L tiles per vector
        final boolean lanes = tw % L == 0;
        pool.range((nt + WNB - 1) / WNB, (from, to) -> {
            float[] v = new float[16 * vXi];
            float[] m = new float[panels * MR * mRow];
            for (int blk = from; blk < to; blk++) {
                int t0 = blk * WNB;
                int n = Math.min(WNB, nt - t0);
                if (n < WNB) {
                    Arrays.fill(v, 0f);
                }
                for (int ci = 0; ci < cin; ci++) {
                    for (int j = 0; j < n; ) {
                        int t = t0 + j;
                        int ty = t / tw;
                        int s = ci * plane + 2 * ty * w2 + 2 * (t - ty * tw);
                        if (lanes && j + L <= n) {  // L tiles of one tile row
                            inputTiles(src, s, w2, v, ci * WNB + j, vXi);
                            j += L;
                        } else {
                            inputTile(src, s, w2, v, ci * WNB + j, vXi);
                            j++;
                        }
                    }
                }
                Arrays.fill(m, 0f);
                for (int xi = 0; xi < 16; xi++) {
                    for (int panel = 0; panel < panels; panel++) {
                        int aOff = (xi * panels + panel) * cin * MR;
                        for (int q = 0; q < n; q += NR) {
                            tile1(u, aOff, v, WNB, 0, cin, xi * vXi + q, m, panel * MR * mRow + xi * WNB + q, mRow);
                        }
                    }
                }
                for (int co = 0; co < cout; co++) {
                    for (int j = 0; j < n; ) {
                        int t = t0 + j;
                        int ty = t / tw;
                        int d = (co * oh + 2 * ty) * ow + 2 * (t - ty * tw);
                        if (lanes && j + L <= n) {
                            outputTiles(m, co * mRow + j, WNB, bias[co], out, d, ow);
                            j += L;
                        } else {
                            outputTile(m, co * mRow + j, WNB, bias[co], out, d, ow);
                            j++;
                        }
                    }
                }
            }
        });
    }

    /** V = Bᵀ·d·B of the 4×4 patch d[y][x] = src[s + y·w2 + x] into v[o + ξ·stride], ξ = 4i + j. */
    private static void inputTile(float[] src, int s, int w2, float[] v, int o, int stride) {
        float d00 = src[s];
        float d01 = src[s + 1];
        float d02 = src[s + 2];
        float d03 = src[s + 3];
        float d10 = src[s + w2];
        float d11 = src[s + w2 + 1];
        float d12 = src[s + w2 + 2];
        float d13 = src[s + w2 + 3];
        float d20 = src[s + 2 * w2];
        float d21 = src[s + 2 * w2 + 1];
        float d22 = src[s + 2 * w2 + 2];
        float d23 = src[s + 2 * w2 + 3];
        float d30 = src[s + 3 * w2];
        float d31 = src[s + 3 * w2 + 1];
        float d32 = src[s + 3 * w2 + 2];
        float d33 = src[s + 3 * w2 + 3];
        // Bᵀ·d
        float r00 = d00 - d20;
        float r10 = d10 + d20;
        float r20 = d20 - d10;
        float r30 = d10 - d30;
        float r01 = d01 - d21;
        float r11 = d11 + d21;
        float r21 = d21 - d11;
        float r31 = d11 - d31;
        float r02 = d02 - d22;
        float r12 = d12 + d22;
        float r22 = d22 - d12;
        float r32 = d12 - d32;
        float r03 = d03 - d23;
        float r13 = d13 + d23;
        float r23 = d23 - d13;
        float r33 = d13 - d33;
        // (Bᵀ·d)·B
        v[o] = r00 - r02;
        v[o + stride] = r01 + r02;
        v[o + 2 * stride] = r02 - r01;
        v[o + 3 * stride] = r01 - r03;
        v[o + 4 * stride] = r10 - r12;
        v[o + 5 * stride] = r11 + r12;
        v[o + 6 * stride] = r12 - r11;
        v[o + 7 * stride] = r11 - r13;
        v[o + 8 * stride] = r20 - r22;
        v[o + 9 * stride] = r21 + r22;
        v[o + 10 * stride] = r22 - r21;
        v[o + 11 * stride] = r21 - r23;
        v[o + 12 * stride] = r30 - r32;
        v[o + 13 * stride] = r31 + r32;
        v[o + 14 * stride] = r32 - r31;
        v[o + 15 * stride] = r31 - r33;
    }

    /** Even lanes of (a, b) → lanes 0 .. L−1 ("x = 2t"); odd lanes ("x = 2t + 1"). */
    private static final VectorShuffle<Float> EVEN = VectorShuffle.fromOp(F, i -> i < L / 2 ? 2 * i : 2 * i - 2 * L);
    private static final VectorShuffle<Float> ODD = VectorShuffle.fromOp(F, i -> i < L / 2 ? 2 * i + 1 : 2 * i + 1 - 2 * L);
    /** Interleave (a, b): a0 b0 a1 b1 .. of the low halves; of the high halves. */
    private static final VectorShuffle<Float> ZIP_LO = VectorShuffle.fromOp(F, i -> i % 2 == 0 ? i / 2 : i / 2 - L);
    private static final VectorShuffle<Float> ZIP_HI = VectorShuffle.fromOp(F, i -> i % 2 == 0 ? L / 2 + i / 2 : L / 2 + i / 2 - L);

    /**
     * {@link #inputTile} for the L tiles whose patches start at src[s + 2t] (t &lt; L, one tile row),
     * lane t to v[o + t + ξ·stride]: the same operations in the same order, one tile per lane.
     */
    private static void inputTiles(float[] src, int s, int w2, float[] v, int o, int stride) {
        FloatVector a0 = FloatVector.fromArray(F, src, s);
        FloatVector b0 = FloatVector.fromArray(F, src, s + L);
        FloatVector c0 = FloatVector.fromArray(F, src, s + 2);
        FloatVector e0 = FloatVector.fromArray(F, src, s + 2 + L);
        FloatVector d00 = a0.rearrange(EVEN, b0);
        FloatVector d01 = a0.rearrange(ODD, b0);
        FloatVector d02 = c0.rearrange(EVEN, e0);
        FloatVector d03 = c0.rearrange(ODD, e0);
        FloatVector a1 = FloatVector.fromArray(F, src, s + w2);
        FloatVector b1 = FloatVector.fromArray(F, src, s + w2 + L);
        FloatVector c1 = FloatVector.fromArray(F, src, s + w2 + 2);
        FloatVector e1 = FloatVector.fromArray(F, src, s + w2 + 2 + L);
        FloatVector d10 = a1.rearrange(EVEN, b1);
        FloatVector d11 = a1.rearrange(ODD, b1);
        FloatVector d12 = c1.rearrange(EVEN, e1);
        FloatVector d13 = c1.rearrange(ODD, e1);
        FloatVector a2 = FloatVector.fromArray(F, src, s + 2 * w2);
        FloatVector b2 = FloatVector.fromArray(F, src, s + 2 * w2 + L);
        FloatVector c2 = FloatVector.fromArray(F, src, s + 2 * w2 + 2);
        FloatVector e2 = FloatVector.fromArray(F, src, s + 2 * w2 + 2 + L);
        FloatVector d20 = a2.rearrange(EVEN, b2);
        FloatVector d21 = a2.rearrange(ODD, b2);
        FloatVector d22 = c2.rearrange(EVEN, e2);
        FloatVector d23 = c2.rearrange(ODD, e2);
        FloatVector a3 = FloatVector.fromArray(F, src, s + 3 * w2);
        FloatVector b3 = FloatVector.fromArray(F, src, s + 3 * w2 + L);
        FloatVector c3 = FloatVector.fromArray(F, src, s + 3 * w2 + 2);
        FloatVector e3 = FloatVector.fromArray(F, src, s + 3 * w2 + 2 + L);
        FloatVector d30 = a3.rearrange(EVEN, b3);
        FloatVector d31 = a3.rearrange(ODD, b3);
        FloatVector d32 = c3.rearrange(EVEN, e3);
        FloatVector d33 = c3.rearrange(ODD, e3);
        FloatVector r00 = d00.sub(d20);
        FloatVector r10 = d10.add(d20);
        FloatVector r20 = d20.sub(d10);
        FloatVector r30 = d10.sub(d30);
        FloatVector r01 = d01.sub(d21);
        FloatVector r11 = d11.add(d21);
        FloatVector r21 = d21.sub(d11);
        FloatVector r31 = d11.sub(d31);
        FloatVector r02 = d02.sub(d22);
        FloatVector r12 = d12.add(d22);
        FloatVector r22 = d22.sub(d12);
        FloatVector r32 = d12.sub(d32);
        FloatVector r03 = d03.sub(d23);
        FloatVector r13 = d13.add(d23);
        FloatVector r23 = d23.sub(d13);
        FloatVector r33 = d13.sub(d33);
        r00.sub(r02).intoArray(v, o);
        r01.add(r02).intoArray(v, o + stride);
        r02.sub(r01).intoArray(v, o + 2 * stride);
        r01.sub(r03).intoArray(v, o + 3 * stride);
        r10.sub(r12).intoArray(v, o + 4 * stride);
        r11.add(r12).intoArray(v, o + 5 * stride);
        r12.sub(r11).intoArray(v, o + 6 * stride);
        r11.sub(r13).intoArray(v, o + 7 * stride);
        r20.sub(r22).intoArray(v, o + 8 * stride);
        r21.add(r22).intoArray(v, o + 9 * stride);
        r22.sub(r21).intoArray(v, o + 10 * stride);
        r21.sub(r23).intoArray(v, o + 11 * stride);
        r30.sub(r32).intoArray(v, o + 12 * stride);
        r31.add(r32).intoArray(v, o + 13 * stride);
        r32.sub(r31).intoArray(v, o + 14 * stride);
        r31.sub(r33).intoArray(v, o + 15 * stride);
    }

    /** {@link #outputTile} for L tiles of one tile row (m[o + t ..], out from d + 2t), one tile per lane. */
    private static void outputTiles(float[] m, int o, int stride, float b, float[] out, int d, int ow) {
        FloatVector m00 = FloatVector.fromArray(F, m, o);
        FloatVector m01 = FloatVector.fromArray(F, m, o + stride);
        FloatVector m02 = FloatVector.fromArray(F, m, o + 2 * stride);
        FloatVector m03 = FloatVector.fromArray(F, m, o + 3 * stride);
        FloatVector m10 = FloatVector.fromArray(F, m, o + 4 * stride);
        FloatVector m11 = FloatVector.fromArray(F, m, o + 5 * stride);
        FloatVector m12 = FloatVector.fromArray(F, m, o + 6 * stride);
        FloatVector m13 = FloatVector.fromArray(F, m, o + 7 * stride);
        FloatVector m20 = FloatVector.fromArray(F, m, o + 8 * stride);
        FloatVector m21 = FloatVector.fromArray(F, m, o + 9 * stride);
        FloatVector m22 = FloatVector.fromArray(F, m, o + 10 * stride);
        FloatVector m23 = FloatVector.fromArray(F, m, o + 11 * stride);
        FloatVector m30 = FloatVector.fromArray(F, m, o + 12 * stride);
        FloatVector m31 = FloatVector.fromArray(F, m, o + 13 * stride);
        FloatVector m32 = FloatVector.fromArray(F, m, o + 14 * stride);
        FloatVector m33 = FloatVector.fromArray(F, m, o + 15 * stride);
        FloatVector s0 = m00.add(m10).add(m20);
        FloatVector t0 = m10.sub(m20).sub(m30);
        FloatVector s1 = m01.add(m11).add(m21);
        FloatVector t1 = m11.sub(m21).sub(m31);
        FloatVector s2 = m02.add(m12).add(m22);
        FloatVector t2 = m12.sub(m22).sub(m32);
        FloatVector s3 = m03.add(m13).add(m23);
        FloatVector t3 = m13.sub(m23).sub(m33);
        FloatVector y00 = s0.add(s1).add(s2).add(b);
        FloatVector y01 = s1.sub(s2).sub(s3).add(b);
        FloatVector y10 = t0.add(t1).add(t2).add(b);
        FloatVector y11 = t1.sub(t2).sub(t3).add(b);
        y00.rearrange(ZIP_LO, y01).intoArray(out, d);
        y00.rearrange(ZIP_HI, y01).intoArray(out, d + L);
        y10.rearrange(ZIP_LO, y11).intoArray(out, d + ow);
        y10.rearrange(ZIP_HI, y11).intoArray(out, d + ow + L);
    }

    /** out[d ..] (row stride ow) = Aᵀ·M·A + b of the 4×4 M[i][j] = m[o + (4i + j)·stride]. */
    private static void outputTile(float[] m, int o, int stride, float b, float[] out, int d, int ow) {
        float m00 = m[o];
        float m01 = m[o + stride];
        float m02 = m[o + 2 * stride];
        float m03 = m[o + 3 * stride];
        float m10 = m[o + 4 * stride];
        float m11 = m[o + 5 * stride];
        float m12 = m[o + 6 * stride];
        float m13 = m[o + 7 * stride];
        float m20 = m[o + 8 * stride];
        float m21 = m[o + 9 * stride];
        float m22 = m[o + 10 * stride];
        float m23 = m[o + 11 * stride];
        float m30 = m[o + 12 * stride];
        float m31 = m[o + 13 * stride];
        float m32 = m[o + 14 * stride];
        float m33 = m[o + 15 * stride];
        float s0 = m00 + m10 + m20;
        float t0 = m10 - m20 - m30;
        float s1 = m01 + m11 + m21;
        float t1 = m11 - m21 - m31;
        float s2 = m02 + m12 + m22;
        float t2 = m12 - m22 - m32;
        float s3 = m03 + m13 + m23;
        float t3 = m13 - m23 - m33;
        out[d] = s0 + s1 + s2 + b;
        out[d + 1] = s1 - s2 - s3 + b;
        out[d + ow] = t0 + t1 + t2 + b;
        out[d + ow + 1] = t1 - t2 - t3 + b;
    }

    /**
     * The B source: in itself (1×1, long enough, no input affine), else a zero-padded (and maybe
     * upsampled, maybe normalised: in·scale + shift, then swish, per channel) copy.
     */
    private static float[] source(Parallel pool, float[] in, int cin, int h, int w, int oh, int ow, int ks,
                                  boolean upsample, int w2, int plane, int srcLen, float[] scale, float[] shift,
                                  boolean swish) {
        if (ks == 1 && !upsample && scale == null) {
            return in.length >= srcLen ? in : Arrays.copyOf(in, srcLen);
        }
        float[] src = new float[srcLen];
        int pad = ks / 2;
        pool.range(cin, (from, to) -> {
            for (int ci = from; ci < to; ci++) {
                if (scale != null && !upsample) {
                    for (int y = 0; y < oh; y++) {
                        affineRow(in, (ci * h + y) * w, src, ci * plane + (y + pad) * w2 + pad, ow, scale[ci], shift[ci],
                                swish);
                    }
                    continue;
                }
                for (int y = 0; y < oh; y++) {
                    int row = ci * plane + (y + pad) * w2 + pad;
                    if (!upsample) {
                        System.arraycopy(in, (ci * h + y) * w, src, row, ow);
                    } else {
                        int s = (ci * h + (y >> 1)) * w;
                        for (int x = 0; x < ow; x++) {
                            src[row + x] = in[s + (x >> 1)];
                        }
                    }
                }
                if (scale != null) {  // upsampled: normalise the copied rows in place
                    for (int y = 0; y < oh; y++) {
                        int row = ci * plane + (y + pad) * w2 + pad;
                        affineRow(src, row, src, row, ow, scale[ci], shift[ci], swish);
                    }
                }
            }
        });
        return src;
    }

    /** out[d + i] = x[s + i]·scale + shift (then swish) for i &lt; n: groupNorm's per-element operations. */
    private static void affineRow(float[] x, int s, float[] out, int d, int n, float scale, float shift, boolean swish) {
        FloatVector vs = FloatVector.broadcast(F, scale);
        FloatVector vb = FloatVector.broadcast(F, shift);
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector v = FloatVector.fromArray(F, x, s + i).mul(vs).add(vb);
            (swish ? silu(v) : v).intoArray(out, d + i);
        }
        for (; i < n; i++) {
            float v = x[s + i] * scale + shift;
            out[d + i] = swish ? siluScalar(v) : v;
        }
    }

    /**
     * The 3×3 micro-kernel: C[co0 + r, q .. q + NR) (r &lt; MR), held at dst[d + r·ldd ..], accumulates
     * Σ over ci in [ci0, ci1), ky, kx in that order of A[co0 + r, (ci·3 + ky)·3 + kx] ·
     * src[ci·plane + ky·w2 + kx + q ..]. The three kx taps of a kernel row are unrolled and every
     * index is linear in the loop counters, so C2 hoists the range checks out of the loop and keeps
     * all 16 accumulators in registers (a loop over a table of tap offsets, or a kx loop, was 15–20 %
     * slower; unrolling all nine taps was slower still). The accumulator stores are written out: a
     * two-vector store helper called eight times made it 6× slower (C2's inlining budget, presumably).
     * It has no branch outside its loops (a variant with "first block: start from 0" and "last block:
     * add the bias" paths ran several times slower once both paths had been taken).
     */
    private static void tile3(float[] a, int aOff, float[] src, int plane, int w2, int ci0, int ci1, int q, float[] dst,
                              int d, int ldd) {
        FloatVector c00 = FloatVector.fromArray(F, dst, d);
        FloatVector c01 = FloatVector.fromArray(F, dst, d + L);
        FloatVector c10 = FloatVector.fromArray(F, dst, d + ldd);
        FloatVector c11 = FloatVector.fromArray(F, dst, d + ldd + L);
        FloatVector c20 = FloatVector.fromArray(F, dst, d + 2 * ldd);
        FloatVector c21 = FloatVector.fromArray(F, dst, d + 2 * ldd + L);
        FloatVector c30 = FloatVector.fromArray(F, dst, d + 3 * ldd);
        FloatVector c31 = FloatVector.fromArray(F, dst, d + 3 * ldd + L);
        FloatVector c40 = FloatVector.fromArray(F, dst, d + 4 * ldd);
        FloatVector c41 = FloatVector.fromArray(F, dst, d + 4 * ldd + L);
        FloatVector c50 = FloatVector.fromArray(F, dst, d + 5 * ldd);
        FloatVector c51 = FloatVector.fromArray(F, dst, d + 5 * ldd + L);
        FloatVector c60 = FloatVector.fromArray(F, dst, d + 6 * ldd);
        FloatVector c61 = FloatVector.fromArray(F, dst, d + 6 * ldd + L);
        FloatVector c70 = FloatVector.fromArray(F, dst, d + 7 * ldd);
        FloatVector c71 = FloatVector.fromArray(F, dst, d + 7 * ldd + L);
        FloatVector w;
        for (int ci = ci0; ci < ci1; ci++) {
            int sc = ci * plane + q;
            int ac = aOff + ci * 9 * MR;
            for (int ky = 0; ky < 3; ky++) {
                int s = sc + ky * w2;
                int ai = ac + ky * 3 * MR;
                {
                    FloatVector b0 = FloatVector.fromArray(F, src, s);
                    FloatVector b1 = FloatVector.fromArray(F, src, s + L);
                    w = FloatVector.broadcast(F, a[ai]);
                    c00 = w.fma(b0, c00);
                    c01 = w.fma(b1, c01);
                    w = FloatVector.broadcast(F, a[ai + 1]);
                    c10 = w.fma(b0, c10);
                    c11 = w.fma(b1, c11);
                    w = FloatVector.broadcast(F, a[ai + 2]);
                    c20 = w.fma(b0, c20);
                    c21 = w.fma(b1, c21);
                    w = FloatVector.broadcast(F, a[ai + 3]);
                    c30 = w.fma(b0, c30);
                    c31 = w.fma(b1, c31);
                    w = FloatVector.broadcast(F, a[ai + 4]);
                    c40 = w.fma(b0, c40);
                    c41 = w.fma(b1, c41);
                    w = FloatVector.broadcast(F, a[ai + 5]);
                    c50 = w.fma(b0, c50);
                    c51 = w.fma(b1, c51);
                    w = FloatVector.broadcast(F, a[ai + 6]);
                    c60 = w.fma(b0, c60);
                    c61 = w.fma(b1, c61);
                    w = FloatVector.broadcast(F, a[ai + 7]);
                    c70 = w.fma(b0, c70);
                    c71 = w.fma(b1, c71);
                }
                {
                    FloatVector b0 = FloatVector.fromArray(F, src, s + 1);
                    FloatVector b1 = FloatVector.fromArray(F, src, s + 1 + L);
                    w = FloatVector.broadcast(F, a[ai + 8]);
                    c00 = w.fma(b0, c00);
                    c01 = w.fma(b1, c01);
                    w = FloatVector.broadcast(F, a[ai + 8 + 1]);
                    c10 = w.fma(b0, c10);
                    c11 = w.fma(b1, c11);
                    w = FloatVector.broadcast(F, a[ai + 8 + 2]);
                    c20 = w.fma(b0, c20);
                    c21 = w.fma(b1, c21);
                    w = FloatVector.broadcast(F, a[ai + 8 + 3]);
                    c30 = w.fma(b0, c30);
                    c31 = w.fma(b1, c31);
                    w = FloatVector.broadcast(F, a[ai + 8 + 4]);
                    c40 = w.fma(b0, c40);
                    c41 = w.fma(b1, c41);
                    w = FloatVector.broadcast(F, a[ai + 8 + 5]);
                    c50 = w.fma(b0, c50);
                    c51 = w.fma(b1, c51);
                    w = FloatVector.broadcast(F, a[ai + 8 + 6]);
                    c60 = w.fma(b0, c60);
                    c61 = w.fma(b1, c61);
                    w = FloatVector.broadcast(F, a[ai + 8 + 7]);
                    c70 = w.fma(b0, c70);
                    c71 = w.fma(b1, c71);
                }
                {
                    FloatVector b0 = FloatVector.fromArray(F, src, s + 2);
                    FloatVector b1 = FloatVector.fromArray(F, src, s + 2 + L);
                    w = FloatVector.broadcast(F, a[ai + 16]);
                    c00 = w.fma(b0, c00);
                    c01 = w.fma(b1, c01);
                    w = FloatVector.broadcast(F, a[ai + 16 + 1]);
                    c10 = w.fma(b0, c10);
                    c11 = w.fma(b1, c11);
                    w = FloatVector.broadcast(F, a[ai + 16 + 2]);
                    c20 = w.fma(b0, c20);
                    c21 = w.fma(b1, c21);
                    w = FloatVector.broadcast(F, a[ai + 16 + 3]);
                    c30 = w.fma(b0, c30);
                    c31 = w.fma(b1, c31);
                    w = FloatVector.broadcast(F, a[ai + 16 + 4]);
                    c40 = w.fma(b0, c40);
                    c41 = w.fma(b1, c41);
                    w = FloatVector.broadcast(F, a[ai + 16 + 5]);
                    c50 = w.fma(b0, c50);
                    c51 = w.fma(b1, c51);
                    w = FloatVector.broadcast(F, a[ai + 16 + 6]);
                    c60 = w.fma(b0, c60);
                    c61 = w.fma(b1, c61);
                    w = FloatVector.broadcast(F, a[ai + 16 + 7]);
                    c70 = w.fma(b0, c70);
                    c71 = w.fma(b1, c71);
                }
            }
        }
        c00.intoArray(dst, d);
        c01.intoArray(dst, d + L);
        c10.intoArray(dst, d + ldd);
        c11.intoArray(dst, d + ldd + L);
        c20.intoArray(dst, d + 2 * ldd);
        c21.intoArray(dst, d + 2 * ldd + L);
        c30.intoArray(dst, d + 3 * ldd);
        c31.intoArray(dst, d + 3 * ldd + L);
        c40.intoArray(dst, d + 4 * ldd);
        c41.intoArray(dst, d + 4 * ldd + L);
        c50.intoArray(dst, d + 5 * ldd);
        c51.intoArray(dst, d + 5 * ldd + L);
        c60.intoArray(dst, d + 6 * ldd);
        c61.intoArray(dst, d + 6 * ldd + L);
        c70.intoArray(dst, d + 7 * ldd);
        c71.intoArray(dst, d + 7 * ldd + L);
    }

    /** The 1×1 micro-kernel: as {@link #tile3} with one tap per input channel (A[co0 + r, ci] · src[ci·plane + q ..]). */
    private static void tile1(float[] a, int aOff, float[] src, int plane, int ci0, int ci1, int q, float[] dst, int d,
                              int ldd) {
        FloatVector c00 = FloatVector.fromArray(F, dst, d);
        FloatVector c01 = FloatVector.fromArray(F, dst, d + L);
        FloatVector c10 = FloatVector.fromArray(F, dst, d + ldd);
        FloatVector c11 = FloatVector.fromArray(F, dst, d + ldd + L);
        FloatVector c20 = FloatVector.fromArray(F, dst, d + 2 * ldd);
        FloatVector c21 = FloatVector.fromArray(F, dst, d + 2 * ldd + L);
        FloatVector c30 = FloatVector.fromArray(F, dst, d + 3 * ldd);
        FloatVector c31 = FloatVector.fromArray(F, dst, d + 3 * ldd + L);
        FloatVector c40 = FloatVector.fromArray(F, dst, d + 4 * ldd);
        FloatVector c41 = FloatVector.fromArray(F, dst, d + 4 * ldd + L);
        FloatVector c50 = FloatVector.fromArray(F, dst, d + 5 * ldd);
        FloatVector c51 = FloatVector.fromArray(F, dst, d + 5 * ldd + L);
        FloatVector c60 = FloatVector.fromArray(F, dst, d + 6 * ldd);
        FloatVector c61 = FloatVector.fromArray(F, dst, d + 6 * ldd + L);
        FloatVector c70 = FloatVector.fromArray(F, dst, d + 7 * ldd);
        FloatVector c71 = FloatVector.fromArray(F, dst, d + 7 * ldd + L);
        FloatVector w;
        for (int ci = ci0; ci < ci1; ci++) {
            int s = ci * plane + q;
            int ai = aOff + ci * MR;
            FloatVector b0 = FloatVector.fromArray(F, src, s);
            FloatVector b1 = FloatVector.fromArray(F, src, s + L);
            w = FloatVector.broadcast(F, a[ai]);
            c00 = w.fma(b0, c00);
            c01 = w.fma(b1, c01);
            w = FloatVector.broadcast(F, a[ai + 1]);
            c10 = w.fma(b0, c10);
            c11 = w.fma(b1, c11);
            w = FloatVector.broadcast(F, a[ai + 2]);
            c20 = w.fma(b0, c20);
            c21 = w.fma(b1, c21);
            w = FloatVector.broadcast(F, a[ai + 3]);
            c30 = w.fma(b0, c30);
            c31 = w.fma(b1, c31);
            w = FloatVector.broadcast(F, a[ai + 4]);
            c40 = w.fma(b0, c40);
            c41 = w.fma(b1, c41);
            w = FloatVector.broadcast(F, a[ai + 5]);
            c50 = w.fma(b0, c50);
            c51 = w.fma(b1, c51);
            w = FloatVector.broadcast(F, a[ai + 6]);
            c60 = w.fma(b0, c60);
            c61 = w.fma(b1, c61);
            w = FloatVector.broadcast(F, a[ai + 7]);
            c70 = w.fma(b0, c70);
            c71 = w.fma(b1, c71);
        }
        c00.intoArray(dst, d);
        c01.intoArray(dst, d + L);
        c10.intoArray(dst, d + ldd);
        c11.intoArray(dst, d + ldd + L);
        c20.intoArray(dst, d + 2 * ldd);
        c21.intoArray(dst, d + 2 * ldd + L);
        c30.intoArray(dst, d + 3 * ldd);
        c31.intoArray(dst, d + 3 * ldd + L);
        c40.intoArray(dst, d + 4 * ldd);
        c41.intoArray(dst, d + 4 * ldd + L);
        c50.intoArray(dst, d + 5 * ldd);
        c51.intoArray(dst, d + 5 * ldd + L);
        c60.intoArray(dst, d + 6 * ldd);
        c61.intoArray(dst, d + 6 * ldd + L);
        c70.intoArray(dst, d + 7 * ldd);
        c71.intoArray(dst, d + 7 * ldd + L);
    }

    // ---------------------------------------------------------------- GroupNorm

    /** Floats summed in one float vector before its lanes go into the double total. */
    private static final int SUM_CHUNK = 64 * L;

    /**
     * Vectorised {@link Kernels#groupNorm}. Sums run in float vectors over chunks of SUM_CHUNK values,
     * each chunk's lanes added in lane order into a double total (a fixed order: the result does not
     * depend on threads). Scale and shift are formed in double as in the scalar reference, the affine
     * is a float multiply then add (not an FMA, as there), and swish is v / (1 + exp(−v)) with
     * {@link #exp}.
     */
    @Override
    void groupNorm(float[] x, float[] out, int channels, int hw, int groups, float[] gamma, float[] beta, float eps,
                   boolean swish, int gFrom, int gTo) {
        int cpg = channels / groups;
        float[] scratch = new float[L];
        float[] scale = new float[channels];
        float[] shift = new float[channels];
        for (int g = gFrom; g < gTo; g++) {
            affine(x, channels, hw, groups, gamma, beta, eps, g, scale, shift, scratch);
            for (int c = g * cpg; c < (g + 1) * cpg; c++) {
                affineRow(x, c * hw, out, c * hw, hw, scale[c], shift[c], swish);
            }
        }
    }

    /** Group g's statistics as per-channel scale = rstd·γ and shift = β − rstd·γ·mean (formed in double). */
    private static void affine(float[] x, int channels, int hw, int groups, float[] gamma, float[] beta, float eps, int g,
                               float[] scale, float[] shift, float[] scratch) {
        int cpg = channels / groups;
        int start = g * cpg * hw;
        int count = cpg * hw;
        double mean = sum(x, start, count, 0f, false, scratch) / count;
        double sq = sum(x, start, count, (float) mean, true, scratch);
        double rstd = 1.0 / Math.sqrt(sq / count + eps);
        for (int c = g * cpg; c < (g + 1) * cpg; c++) {
            scale[c] = (float) (rstd * gamma[c]);
            shift[c] = (float) (beta[c] - rstd * gamma[c] * mean);
        }
    }

    /** Σ x[start + i] (or Σ (x[start + i] − centre)² when {@code squares}) for i &lt; count, in double. */
    private static double sum(float[] x, int start, int count, float centre, boolean squares, float[] scratch) {
        FloatVector vc = FloatVector.broadcast(F, centre);
        double total = 0;
        int i = 0;
        while (i + L <= count) {
            int end = Math.min(count, i + SUM_CHUNK);
            FloatVector acc = FloatVector.zero(F);
            for (; i + L <= end; i += L) {
                FloatVector v = FloatVector.fromArray(F, x, start + i);
                if (squares) {
                    v = v.sub(vc);
                    acc = v.fma(v, acc);
                } else {
                    acc = acc.add(v);
                }
            }
            acc.intoArray(scratch, 0);
            for (int j = 0; j < L; j++) {
                total += scratch[j];
            }
        }
        for (; i < count; i++) {
            float v = x[start + i];
            total += squares ? (double) (v - centre) * (v - centre) : v;
        }
        return total;
    }

    // exp(x) = 2^n · p(r), n = round(x / ln 2), r = x − n·ln 2 (Cody–Waite, two parts), p = Taylor to r⁷
    // (relative error of p below 1e-8 on |r| ≤ ln2/2; the result is within 2 ulp of exp).
    private static final float LOG2E = 1.44269504f;
    private static final float LN2_HI = 0.693145751953125f;
    private static final float LN2_LO = 1.42860677e-6f;
    /** 1.5·2^23: adding it rounds a float of magnitude &lt; 2^22 to an integer held in the low mantissa bits. */
    private static final float ROUND = 12582912f;
    private static final int ROUND_BITS = 0x4B400000;

    /**
     * e^x for x clamped to [−87, 88] (no overflow, no subnormal scale), from adds, multiplies, FMAs
     * and bit operations only: the same bits interpreted and compiled, unlike the Vector API's EXP.
     */
    static FloatVector exp(FloatVector x) {
        x = x.max(-87f).min(88f);
        FloatVector t = x.fma(FloatVector.broadcast(F, LOG2E), FloatVector.broadcast(F, ROUND));
        FloatVector n = t.sub(ROUND);
        FloatVector r = n.fma(FloatVector.broadcast(F, -LN2_HI), x);
        r = n.fma(FloatVector.broadcast(F, -LN2_LO), r);
        FloatVector p = FloatVector.broadcast(F, 1f / 5040f);
        p = p.fma(r, FloatVector.broadcast(F, 1f / 720f));
        p = p.fma(r, FloatVector.broadcast(F, 1f / 120f));
        p = p.fma(r, FloatVector.broadcast(F, 1f / 24f));
        p = p.fma(r, FloatVector.broadcast(F, 1f / 6f));
        p = p.fma(r, FloatVector.broadcast(F, 0.5f));
        p = p.fma(r, FloatVector.broadcast(F, 1f));
        p = p.fma(r, FloatVector.broadcast(F, 1f));
        FloatVector scale = t.reinterpretAsInts().sub(ROUND_BITS - 127).lanewise(VectorOperators.LSHL, 23)
                .reinterpretAsFloats();
        return p.mul(scale);
    }

    /** silu(v) = v / (1 + e^−v), lane-wise. */
    static FloatVector silu(FloatVector v) {
        return v.div(exp(v.neg()).add(1f));
    }

    /** The same silu on one float (tails), through a one-lane-used vector so the bits match. */
    private static float siluScalar(float v) {
        return silu(FloatVector.broadcast(F, v)).lane(0);
    }
}
