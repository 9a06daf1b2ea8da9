package io.tessera.core.model;

import io.tessera.core.checkpoint.Checkpoint;
import io.tessera.core.checkpoint.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * The LlamaGen VQ decoder's state-dict name map (decode path only), resolved and shape-checked.
 * Encoder, quant_conv and the usage buffer may be present in the file and are ignored.
 */
public final class VqWeights {

    /** Conv2d weight [out, in, k, k] and bias [out]. */
    public record Conv(Tensor weight, Tensor bias) {
        public int outChannels() {
            return (int) weight.dim(0);
        }

        public int inChannels() {
            return (int) weight.dim(1);
        }

        public int kernel() {
            return (int) weight.dim(2);
        }
    }

    /** GroupNorm(32) affine weight and bias, each [channels]. */
    public record Norm(Tensor weight, Tensor bias) {
    }

    /** ResnetBlock: norm1 → swish → conv1 → norm2 → swish → conv2, + shortcut (nin_shortcut when in ≠ out, else null). */
    public record ResBlock(Norm norm1, Conv conv1, Norm norm2, Conv conv2, Conv ninShortcut) {
    }

    /** AttnBlock: norm → 1×1 q, k, v → softmax over H·W (scale C^-½) → proj_out, + residual. */
    public record AttnBlock(Norm norm, Conv q, Conv k, Conv v, Conv projOut) {
    }

    /** One decoder level: res[i] (+ attn[i] at the lowest resolution), then upsample (null at the last level). */
    public record Level(List<ResBlock> res, List<AttnBlock> attn, Conv upsample) {
    }

    private final VqConfig config;
    private final Tensor codebook;       // [codebook_size, codebook_embed_dim]
    private final Conv postQuantConv;    // [z, embed, 1, 1]
    private final Conv convIn;           // [ch·mult[-1], z, 3, 3]
    private final ResBlock mid0;
    private final AttnBlock mid1;
    private final ResBlock mid2;
    private final List<Level> levels;    // decoder.conv_blocks, lowest resolution first
    private final Norm normOut;
    private final Conv convOut;          // [out_channels, ch·mult[0], 3, 3]

    private final Map<String, long[]> expected = new LinkedHashMap<>();
    private final Map<String, long[]> recorder;
    private final BiFunction<String, long[], Tensor> source;

    /** Resolves every decoder tensor of {@code c} in {@code ckpt}; fails on a missing, unexpected or wrong-shaped one. */
    public VqWeights(VqConfig c, Checkpoint ckpt) {
        // A NaN in the decoder would give a black image with exit 0: every decoder weight is checked at load.
        this(c, (name, shape) -> ckpt.get(name).requireWeight(ckpt.path().toString(), shape).requireFinite(ckpt.path().toString()));
        for (String name : ckpt.tensors().keySet()) {
            boolean ignorable = name.startsWith("encoder.") || name.startsWith("quant_conv.") || name.equals("quantize.codebook_used");
            if (!ignorable && !expected.containsKey(name)) {
                LlamaGenWeights.rejectUnexpected(ckpt, expected.keySet(), Set.of());
            }
        }
    }

    /** Every tensor name of the decode path with its shape, in module order (generators write exactly these). */
    public static Map<String, long[]> layout(VqConfig c) {
        return new VqWeights(c, (name, shape) -> null).expected;
    }

    /**
     * The whole model's name map with shapes (encoder, decoder, codebook, quant_conv, post_quant_conv):
     * what a trainer registers and exports, in the order the trainer creates the parameters (encoder,
     * decoder in {@link #layout} order, then {@code quantize.embedding.weight}, {@code quant_conv},
     * {@code post_quant_conv}). The decoder part is {@link #layout}'s; the encoder mirrors it as
     * LlamaGen's {@code Encoder}: levels in ch_mult order, {@code num_res_blocks} res blocks each,
     * attention at the lowest resolution, a stride-2 downsample conv between levels.
     */
    public static Map<String, long[]> fullLayout(VqConfig c) {
        Map<String, long[]> m = new LinkedHashMap<>();
        int[] mult = c.decoderChMult();
        int levelsN = mult.length;
        VqWeights enc = new VqWeights(c, m);
        enc.conv("encoder.conv_in", c.ch(), c.outChannels(), 3);
        int blockIn = c.ch();
        for (int i = 0; i < levelsN; i++) {
            int blockOut = c.ch() * mult[i];
            for (int j = 0; j < c.numResBlocks(); j++) {
                enc.res("encoder.conv_blocks." + i + ".res." + j, blockIn, blockOut);
                blockIn = blockOut;
                if (i == levelsN - 1) {
                    enc.attn("encoder.conv_blocks." + i + ".attn." + j, blockIn);
                }
            }
            if (i != levelsN - 1) {
                enc.conv("encoder.conv_blocks." + i + ".downsample.conv", blockIn, blockIn, 3);
            }
        }
        enc.res("encoder.mid.0", blockIn, blockIn);
        enc.attn("encoder.mid.1", blockIn);
        enc.res("encoder.mid.2", blockIn, blockIn);
        enc.norm("encoder.norm_out", blockIn);
        enc.conv("encoder.conv_out", c.zChannels(), blockIn, 3);
        Map<String, long[]> decoder = layout(c);
        decoder.forEach((name, shape) -> {
            if (!name.startsWith("quantize.") && !name.startsWith("post_quant_conv.")) {
                m.put(name, shape);
            }
        });
        m.put("quantize.embedding.weight", decoder.get("quantize.embedding.weight"));
        enc.conv("quant_conv", c.codebookEmbedDim(), c.zChannels(), 1);
        m.put("post_quant_conv.weight", decoder.get("post_quant_conv.weight"));
        m.put("post_quant_conv.bias", decoder.get("post_quant_conv.bias"));
        return m;
    }

    /** A name recorder only (no tensors): {@link #fullLayout}'s encoder part. */
    private VqWeights(VqConfig c, Map<String, long[]> sink) {
        this.config = c;
        this.source = (name, shape) -> null;
        this.codebook = null;
        this.postQuantConv = null;
        this.convIn = null;
        this.mid0 = null;
        this.mid1 = null;
        this.mid2 = null;
        this.levels = List.of();
        this.normOut = null;
        this.convOut = null;
        this.recorder = sink;
    }

    private VqWeights(VqConfig c, BiFunction<String, long[], Tensor> source) {
        this.config = c;
        this.source = source;
        this.recorder = null;
        int[] mult = c.decoderChMult();
        int levelsN = mult.length;
        int blockIn = c.ch() * mult[levelsN - 1];
        codebook = t("quantize.embedding.weight", c.codebookSize(), c.codebookEmbedDim());
        postQuantConv = conv("post_quant_conv", c.zChannels(), c.codebookEmbedDim(), 1);
        convIn = conv("decoder.conv_in", blockIn, c.zChannels(), 3);
        mid0 = res("decoder.mid.0", blockIn, blockIn);
        mid1 = attn("decoder.mid.1", blockIn);
        mid2 = res("decoder.mid.2", blockIn, blockIn);
        List<Level> ls = new ArrayList<>();
        for (int li = 0; li < levelsN; li++) {
            int iLevel = levelsN - 1 - li; // the decoder walks ch_mult in reverse
            int blockOut = c.ch() * mult[iLevel];
            String p = "decoder.conv_blocks." + li;
            List<ResBlock> res = new ArrayList<>();
            List<AttnBlock> attn = new ArrayList<>();
            for (int b = 0; b <= c.numResBlocks(); b++) {
                res.add(res(p + ".res." + b, blockIn, blockOut));
                blockIn = blockOut;
                if (iLevel == levelsN - 1) {
                    attn.add(attn(p + ".attn." + b, blockIn));
                }
            }
            Conv up = iLevel != 0 ? conv(p + ".upsample.conv", blockIn, blockIn, 3) : null;
            ls.add(new Level(List.copyOf(res), List.copyOf(attn), up));
        }
        levels = List.copyOf(ls);
        normOut = norm("decoder.norm_out", blockIn);
        convOut = conv("decoder.conv_out", c.outChannels(), blockIn, 3);
    }

    private Tensor t(String name, long... shape) {
        (recorder != null ? recorder : expected).put(name, shape);
        return source.apply(name, shape);
    }

    private Conv conv(String p, int out, int in, int k) {
        return new Conv(t(p + ".weight", out, in, k, k), t(p + ".bias", out));
    }

    private Norm norm(String p, int ch) {
        return new Norm(t(p + ".weight", ch), t(p + ".bias", ch));
    }

    private ResBlock res(String p, int in, int out) {
        return new ResBlock(norm(p + ".norm1", in), conv(p + ".conv1", out, in, 3), norm(p + ".norm2", out),
                conv(p + ".conv2", out, out, 3), in != out ? conv(p + ".nin_shortcut", out, in, 1) : null);
    }

    private AttnBlock attn(String p, int ch) {
        return new AttnBlock(norm(p + ".norm", ch), conv(p + ".q", ch, ch, 1), conv(p + ".k", ch, ch, 1),
                conv(p + ".v", ch, ch, 1), conv(p + ".proj_out", ch, ch, 1));
    }

    public VqConfig config() { return config; }
    public Tensor codebook() { return codebook; }
    public Conv postQuantConv() { return postQuantConv; }
    public Conv convIn() { return convIn; }
    public ResBlock mid0() { return mid0; }
    public AttnBlock mid1() { return mid1; }
    public ResBlock mid2() { return mid2; }
    public List<Level> levels() { return levels; }
    public Norm normOut() { return normOut; }
    public Conv convOut() { return convOut; }
}
