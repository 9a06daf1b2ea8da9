package io.tessera.core.contract;

import io.tessera.core.model.VqConfig;
import io.tessera.core.model.VqWeights;
import io.tessera.core.spi.VqDecoderSession;

/**
 * The oracle for the LlamaGen VQ decoder ({@code tokenizer/tokenizer_image/vq_model.py}, decode path):
 * naive scalar code in double precision, one image at a time, feature maps as {@code double[C][H][W]}.
 *
 * <p>Path (ALGORITHMS.md Part A §6): codebook rows (L2-normalised as {@code F.normalize}, eps 1e-12, when
 * {@code codebook_l2_norm}) laid out NCHW → {@code post_quant_conv} 1×1 → {@code conv_in} 3×3 → mid
 * Res, Attn, Res → for each level of {@link VqWeights#levels()} (lowest resolution first): its ResBlocks,
 * each followed by its AttnBlock where the level has them, then nearest ×2 upsample + 3×3 conv except
 * at the last level → GroupNorm → swish → {@code conv_out} 3×3. GroupNorm is GroupNorm(32, eps 1e-6,
 * affine, biased variance); convolutions are cross-correlations with zero padding (k−1)/2, stride 1.
 */
public final class ReferenceVqDecoder implements VqDecoderSession {
    /** GroupNorm groups of the official decoder. */
    public static final int GROUPS = 32;
    /** GroupNorm epsilon of the official decoder. */
    public static final double GROUP_NORM_EPS = 1e-6;
    /** {@code F.normalize} epsilon. */
    public static final double L2_EPS = 1e-12;

    private final VqWeights w;
    private final VqConfig c;
    private final float[] codebook; // [codebook_size, codebook_embed_dim]

    public ReferenceVqDecoder(VqWeights weights) {
        this.w = weights;
        this.c = weights.config();
        this.codebook = weights.codebook().toFloatArray();
    }

    @Override
    public float[] decode(int[] tokens, int n, int h, int w) {
        double[] exact = decodeExact(tokens, n, h, w);
        float[] out = new float[exact.length];
        for (int i = 0; i < exact.length; i++) {
            out[i] = (float) exact[i];
        }
        return out;
    }

    /** {@link #decode} in double precision: [n, out_channels, h·ds, w·ds]. */
    public double[] decodeExact(int[] tokens, int n, int h, int w) {
        if (tokens.length != n * h * w) {
            throw new IllegalArgumentException("decode: " + tokens.length + " tokens for n·h·w = " + n * h * w);
        }
        int ds = c.downsample();
        int plane = h * ds * w * ds;
        double[] out = new double[n * c.outChannels() * plane];
        for (int img = 0; img < n; img++) {
            double[][][] x = decodeOne(tokens, img * h * w, h, w);
            for (int ch = 0; ch < c.outChannels(); ch++) {
                for (int y = 0; y < h * ds; y++) {
                    for (int xx = 0; xx < w * ds; xx++) {
                        out[(img * c.outChannels() + ch) * plane + y * w * ds + xx] = x[ch][y][xx];
                    }
                }
            }
        }
        return out;
    }

    private double[][][] decodeOne(int[] tokens, int offset, int h, int w) {
        int e = c.codebookEmbedDim();
        double[][][] z = new double[e][h][w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int id = tokens[offset + y * w + x];
                if (id < 0 || id >= c.codebookSize()) {
                    throw new IllegalArgumentException("decode: token " + id + " outside [0, " + c.codebookSize() + ")");
                }
                double[] code = codebookEntry(codebook, id, e, c.codebookL2Norm());
                for (int d = 0; d < e; d++) {
                    z[d][y][x] = code[d];
                }
            }
        }
        double[][][] x = conv2d(z, this.w.postQuantConv());
        x = conv2d(x, this.w.convIn());
        x = resBlock(x, this.w.mid0());
        x = attnBlock(x, this.w.mid1());
        x = resBlock(x, this.w.mid2());
        for (VqWeights.Level level : this.w.levels()) {
            for (int b = 0; b < level.res().size(); b++) {
                x = resBlock(x, level.res().get(b));
                if (!level.attn().isEmpty()) {
                    x = attnBlock(x, level.attn().get(b));
                }
            }
            if (level.upsample() != null) {
                x = conv2d(upsampleNearest2x(x), level.upsample());
            }
        }
        x = swish(groupNorm(x, this.w.normOut()));
        return conv2d(x, this.w.convOut());
    }

    @Override
    public void close() {
        // nothing to release
    }

    // ---- building blocks (public so that the self-tests can check them one by one) ----

    /** Row {@code id} of the codebook [size, dim], divided by max(‖row‖₂, 1e-12) when {@code l2}. */
    public static double[] codebookEntry(float[] codebook, int id, int dim, boolean l2) {
        double[] v = new double[dim];
        double ss = 0;
        for (int d = 0; d < dim; d++) {
            v[d] = codebook[id * dim + d];
            ss += v[d] * v[d];
        }
        if (l2) {
            double norm = Math.max(StrictMath.sqrt(ss), L2_EPS);
            for (int d = 0; d < dim; d++) {
                v[d] /= norm;
            }
        }
        return v;
    }

    /** ResnetBlock: norm1 → swish → conv1 → norm2 → swish → conv2, plus x (or nin_shortcut(x)). */
    public static double[][][] resBlock(double[][][] x, VqWeights.ResBlock r) {
        double[][][] h = conv2d(swish(groupNorm(x, r.norm1())), r.conv1());
        h = conv2d(swish(groupNorm(h, r.norm2())), r.conv2());
        double[][][] skip = r.ninShortcut() != null ? conv2d(x, r.ninShortcut()) : x;
        return add(skip, h);
    }

    /** AttnBlock: single-head softmax attention over the H·W positions, scale C^−½, then proj_out, plus x. */
    public static double[][][] attnBlock(double[][][] x, VqWeights.AttnBlock a) {
        double[][][] hn = groupNorm(x, a.norm());
        double[][][] q = conv2d(hn, a.q());
        double[][][] k = conv2d(hn, a.k());
        double[][][] v = conv2d(hn, a.v());
        int ch = x.length;
        int height = x[0].length;
        int width = x[0][0].length;
        int n = height * width;
        double scale = 1.0 / StrictMath.sqrt(ch);
        double[][][] attended = new double[ch][height][width];
        for (int i = 0; i < n; i++) {
            double[] s = new double[n];
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) {
                double dot = 0;
                for (int cc = 0; cc < ch; cc++) {
                    dot += q[cc][i / width][i % width] * k[cc][j / width][j % width];
                }
                s[j] = dot * scale;
                max = Math.max(max, s[j]);
            }
            double sum = 0;
            for (int j = 0; j < n; j++) {
                s[j] = StrictMath.exp(s[j] - max);
                sum += s[j];
            }
            for (int cc = 0; cc < ch; cc++) {
                double acc = 0;
                for (int j = 0; j < n; j++) {
                    acc += s[j] / sum * v[cc][j / width][j % width];
                }
                attended[cc][i / width][i % width] = acc;
            }
        }
        return add(x, conv2d(attended, a.projOut()));
    }

    /** GroupNorm(32, eps 1e-6, affine) over a [C][H][W] map: statistics per group of C/32 channels. */
    public static double[][][] groupNorm(double[][][] x, VqWeights.Norm norm) {
        return groupNorm(x, norm.weight().toFloatArray(), norm.bias().toFloatArray());
    }

    /** {@link #groupNorm(double[][][], VqWeights.Norm)} with the affine parameters as arrays [C]. */
    public static double[][][] groupNorm(double[][][] x, float[] weight, float[] bias) {
        int ch = x.length;
        if (ch % GROUPS != 0) {
            throw new IllegalArgumentException("GroupNorm(32) over " + ch + " channels");
        }
        int per = ch / GROUPS;
        double[][][] out = new double[ch][x[0].length][x[0][0].length];
        for (int g = 0; g < GROUPS; g++) {
            double sum = 0;
            long count = 0;
            for (int cc = g * per; cc < (g + 1) * per; cc++) {
                for (double[] row : x[cc]) {
                    for (double v : row) {
                        sum += v;
                        count++;
                    }
                }
            }
            double mean = sum / count;
            double var = 0;
            for (int cc = g * per; cc < (g + 1) * per; cc++) {
                for (double[] row : x[cc]) {
                    for (double v : row) {
                        var += (v - mean) * (v - mean);
                    }
                }
            }
            var /= count;
            double inv = 1.0 / StrictMath.sqrt(var + GROUP_NORM_EPS);
            for (int cc = g * per; cc < (g + 1) * per; cc++) {
                for (int y = 0; y < x[cc].length; y++) {
                    for (int xx = 0; xx < x[cc][y].length; xx++) {
                        out[cc][y][xx] = (x[cc][y][xx] - mean) * inv * weight[cc] + bias[cc];
                    }
                }
            }
        }
        return out;
    }

    /** Conv2d of {@code conv}'s weight [out, in, k, k] and bias [out]: stride 1, zero padding (k−1)/2. */
    public static double[][][] conv2d(double[][][] x, VqWeights.Conv conv) {
        return conv2d(x, conv.weight().toFloatArray(), conv.bias().toFloatArray(), conv.outChannels(), conv.kernel());
    }

    /** Conv2d (cross-correlation, as torch): out[o][y][x] = b[o] + Σ_{i,dy,dx} w[o][i][dy][dx]·in[i][y+dy−p][x+dx−p]. */
    public static double[][][] conv2d(double[][][] x, float[] weight, float[] bias, int outChannels, int k) {
        int in = x.length;
        int height = x[0].length;
        int width = x[0][0].length;
        int pad = (k - 1) / 2;
        if (weight.length != outChannels * in * k * k) {
            throw new IllegalArgumentException("conv2d: weight has " + weight.length + " values, expected "
                    + outChannels + "·" + in + "·" + k + "·" + k);
        }
        double[][][] out = new double[outChannels][height][width];
        for (int o = 0; o < outChannels; o++) {
            for (int y = 0; y < height; y++) {
                for (int xx = 0; xx < width; xx++) {
                    double acc = bias[o];
                    for (int i = 0; i < in; i++) {
                        for (int dy = 0; dy < k; dy++) {
                            int sy = y + dy - pad;
                            if (sy < 0 || sy >= height) {
                                continue;
                            }
                            for (int dx = 0; dx < k; dx++) {
                                int sx = xx + dx - pad;
                                if (sx < 0 || sx >= width) {
                                    continue;
                                }
                                acc += weight[((o * in + i) * k + dy) * k + dx] * x[i][sy][sx];
                            }
                        }
                    }
                    out[o][y][xx] = acc;
                }
            }
        }
        return out;
    }

    /** {@code F.interpolate(scale_factor=2, mode="nearest")}: out[y][x] = in[y/2][x/2]. */
    public static double[][][] upsampleNearest2x(double[][][] x) {
        double[][][] out = new double[x.length][x[0].length * 2][x[0][0].length * 2];
        for (int cc = 0; cc < x.length; cc++) {
            for (int y = 0; y < out[cc].length; y++) {
                for (int xx = 0; xx < out[cc][y].length; xx++) {
                    out[cc][y][xx] = x[cc][y / 2][xx / 2];
                }
            }
        }
        return out;
    }

    /** swish(x) = x·σ(x), elementwise. */
    public static double[][][] swish(double[][][] x) {
        double[][][] out = new double[x.length][x[0].length][x[0][0].length];
        for (int cc = 0; cc < x.length; cc++) {
            for (int y = 0; y < x[cc].length; y++) {
                for (int xx = 0; xx < x[cc][y].length; xx++) {
                    out[cc][y][xx] = ReferenceLlamaGen.silu(x[cc][y][xx]);
                }
            }
        }
        return out;
    }

    private static double[][][] add(double[][][] a, double[][][] b) {
        double[][][] out = new double[a.length][a[0].length][a[0][0].length];
        for (int cc = 0; cc < a.length; cc++) {
            for (int y = 0; y < a[cc].length; y++) {
                for (int xx = 0; xx < a[cc][y].length; xx++) {
                    out[cc][y][xx] = a[cc][y][xx] + b[cc][y][xx];
                }
            }
        }
        return out;
    }
}
