package io.tessera.cpu;

import io.tessera.core.BackendException;
import io.tessera.core.model.VqConfig;
import io.tessera.core.model.VqWeights;
import io.tessera.core.spi.VqDecoderSession;

/**
 * The LlamaGen VQ decoder ({@code tokenizer/tokenizer_image/vq_model.py}: codebook lookup,
 * post_quant_conv, Decoder) on the CPU. Activations are one image at a time, NCHW float32;
 * convolutions run on {@link ConvKernels} (a blocked GEMM on weights packed once per session).
 */
final class VqDecoderForward implements VqDecoderSession {
    private static final int GROUPS = 32;
    private static final float NORM_EPS = 1e-6f;
    private static final double L2_EPS = 1e-12;

    private final VqWeights weights;
    private final VqConfig config;
    private final Kernels kernels;
    private final ConvKernels convKernels;
    private final Parallel pool;
    /** Conv weights packed for {@link #convKernels}, once per session (on first use). */
    private final java.util.Map<VqWeights.Conv, ConvKernels.Packed> packed = new java.util.IdentityHashMap<>();

    VqDecoderForward(VqWeights weights, CpuOptions options) {
        this.weights = weights;
        this.config = weights.config();
        this.kernels = Kernels.of(options.vectorKernels());
        this.convKernels = ConvKernels.of(options.vectorKernels());
        this.pool = new Parallel(options.threads(), "cpu-vector-vq");
    }

    @Override
    public float[] decode(int[] tokens, int n, int h, int w) {
        if (n < 0 || h < 1 || w < 1 || tokens.length != n * h * w) {
            throw new BackendException("cpu-vector: decode needs tokens [n, h, w] = " + n + "×" + h + "×" + w
                    + " (" + (long) n * h * w + " values), got " + tokens.length);
        }
        int ds = config.downsample();
        int imageSize = config.outChannels() * h * ds * w * ds;
        float[] images = new float[n * imageSize];
        for (int i = 0; i < n; i++) {
            float[] img = decodeOne(tokens, i * h * w, h, w);
            System.arraycopy(img, 0, images, i * imageSize, imageSize);
        }
        return images;
    }

    /** One token grid [h, w] → image [out_channels, h·ds, w·ds]. */
    private float[] decodeOne(int[] tokens, int off, int h, int w) {
        // 1. z = rows of the (L2-normalised) codebook [codebook_size, embed_dim], as NCHW [embed_dim, h, w].
        int embed = config.codebookEmbedDim();
        Matrix codebook = Matrix.of(weights.codebook());
        float[] z = new float[embed * h * w];
        float[] row = new float[embed];
        for (int p = 0; p < h * w; p++) {
            int id = tokens[off + p];
            if (id < 0 || id >= codebook.rows()) {
                throw new BackendException("cpu-vector: token " + id + " out of range [0, " + codebook.rows() + ")");
            }
            codebook.rowInto(id, row, 0);
            float denom = 1f;
            if (config.codebookL2Norm()) {
                float ss = 0f;
                for (float v : row) {
                    ss += v * v;
                }
                denom = (float) Math.max(Math.sqrt(ss), L2_EPS);
            }
            for (int c = 0; c < embed; c++) {
                z[c * h * w + p] = row[c] / denom;
            }
        }

        // 2. post_quant_conv 1×1 [z_channels, embed_dim, 1, 1]; 3. conv_in 3×3 [block_in, z_channels, 3, 3]
        Image x = new Image(z, embed, h, w);
        x = conv(weights.postQuantConv(), x, false);
        x = conv(weights.convIn(), x, false);

        // 4. mid: Res, Attn, Res
        x = resBlock(weights.mid0(), x);
        x = attnBlock(weights.mid1(), x);
        x = resBlock(weights.mid2(), x);

        // 5. levels, lowest resolution first: res[i] (+ attn[i]), then nearest-×2 upsample + conv 3×3
        for (VqWeights.Level level : weights.levels()) {
            for (int i = 0; i < level.res().size(); i++) {
                x = resBlock(level.res().get(i), x);
                if (!level.attn().isEmpty()) {
                    x = attnBlock(level.attn().get(i), x);
                }
            }
            if (level.upsample() != null) {
                x = conv(level.upsample(), x, true);
            }
        }

        // 6. norm_out → swish → conv_out 3×3 [out_channels, ch·mult[0], 3, 3]
        x = normConv(weights.normOut(), weights.convOut(), x);
        return x.data;
    }

    /** An NCHW activation of one image. */
    private record Image(float[] data, int channels, int h, int w) {
        int hw() {
            return h * w;
        }
    }

    /** ResnetBlock: norm1 → swish → conv1 → norm2 → swish → conv2, + (nin_shortcut(x) or x). */
    private Image resBlock(VqWeights.ResBlock b, Image x) {
        Image t = normConv(b.norm1(), b.conv1(), x);
        t = normConv(b.norm2(), b.conv2(), t);
        Image shortcut = b.ninShortcut() != null ? conv(b.ninShortcut(), x, false) : x;
        addInto(shortcut.data, t.data);
        return t;
    }

    /** AttnBlock: norm → q, k, v (1×1) → softmax(qᵀk · C^−½) over h·w → v · attnᵀ → proj_out, + x. */
    private Image attnBlock(VqWeights.AttnBlock b, Image x) {
        Image hn = groupNorm(b.norm(), x, false);
        int c = x.channels;
        int hw = x.hw();
        float[] q = transpose(conv(b.q(), hn, false).data, c, hw); // [hw, C]
        float[] k = transpose(conv(b.k(), hn, false).data, c, hw); // [hw, C]
        float[] v = transpose(conv(b.v(), hn, false).data, c, hw); // [hw, C]
        float scale = (float) Math.pow(c, -0.5);
        float[] o = new float[hw * c];                                // [hw, C]
        pool.range(hw, (from, to) -> {
            float[] scores = new float[hw];
            for (int i = from; i < to; i++) {
                for (int j = 0; j < hw; j++) {
                    scores[j] = kernels.dot(q, i * c, k, j * c, c) * scale;
                }
                Kernels.softmax(scores, 0, hw);
                for (int j = 0; j < hw; j++) {
                    kernels.axpy(scores[j], v, j * c, o, i * c, c);
                }
            }
        });
        Image proj = conv(b.projOut(), new Image(transpose(o, hw, c), c, x.h, x.w), false);
        addInto(x.data, proj.data);
        return proj;
    }

    /** out[i] = a[i] + out[i] (the residual add), split over the pool. */
    private void addInto(float[] a, float[] out) {
        int chunk = 1 << 16;
        pool.range((out.length + chunk - 1) / chunk, (from, to) -> {
            for (int i = from * chunk; i < Math.min(out.length, to * chunk); i++) {
                out[i] = a[i] + out[i];
            }
        });
    }

    private static float[] transpose(float[] a, int rows, int cols) {
        float[] t = new float[a.length];
        for (int r = 0; r < rows; r++) {
            for (int col = 0; col < cols; col++) {
                t[col * rows + r] = a[r * cols + col];
            }
        }
        return t;
    }

    /** GroupNorm(32, eps 1e-6) with affine [C] weight and bias, optionally followed by swish. */
    private Image groupNorm(VqWeights.Norm norm, Image x, boolean swish) {
        float[] out = new float[x.data.length];
        float[] gamma = norm.weight().toFloatArray(); // [C]
        float[] beta = norm.bias().toFloatArray();    // [C]
        pool.range(GROUPS, (from, to) -> convKernels.groupNorm(x.data, out, x.channels, x.hw(), GROUPS, gamma, beta,
                NORM_EPS, swish, from, to));
        return new Image(out, x.channels, x.h, x.w);
    }

    /**
     * conv(swish(GroupNorm(32, eps 1e-6)(x))): the norm is applied as the conv reads its input
     * ({@link ConvKernels#normConv}), so the normalised image is not stored.
     */
    private Image normConv(VqWeights.Norm norm, VqWeights.Conv c, Image x) {
        float[] gamma = norm.weight().toFloatArray(); // [C]
        float[] beta = norm.bias().toFloatArray();    // [C]
        ConvKernels.Packed p = packed(c, x);
        float[] out = new float[c.outChannels() * x.hw()];
        convKernels.normConv(pool, p, x.data, x.h, x.w, false, out, GROUPS, gamma, beta, NORM_EPS, true);
        return new Image(out, c.outChannels(), x.h, x.w);
    }

    /** The packed weights of c (packed on first use), after checking that c takes x's channels. */
    private ConvKernels.Packed packed(VqWeights.Conv c, Image x) {
        if (c.inChannels() != x.channels) {
            throw new BackendException("cpu-vector: " + c.weight().name() + " expects " + c.inChannels()
                    + " input channels, got " + x.channels);
        }
        synchronized (packed) {
            return packed.computeIfAbsent(c, convKernels::pack);
        }
    }

    /**
     * Conv2d, stride 1, padding k/2, k ∈ {1, 3}, weight [out, in, k, k] and bias [out]; when
     * {@code upsample}, the input is first nearest-×2 upsampled (fused: pixel (y/2, x/2) is read).
     * Runs on {@link ConvKernels}, with the weights packed once per session.
     */
    Image conv(VqWeights.Conv c, Image x, boolean upsample) {
        int cout = c.outChannels();
        ConvKernels.Packed p = packed(c, x);
        int oh = upsample ? 2 * x.h : x.h;
        int ow = upsample ? 2 * x.w : x.w;
        float[] out = new float[cout * oh * ow];
        convKernels.conv(pool, p, x.data, x.h, x.w, upsample, out);
        return new Image(out, cout, oh, ow);
    }

    @Override
    public void close() {
        pool.close();
    }
}
