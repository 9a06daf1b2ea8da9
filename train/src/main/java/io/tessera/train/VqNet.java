package io.tessera.train;

import io.tessera.torch.nn.Ops;
import io.tessera.torch.nn.ParamStore;
import io.tessera.core.model.VqConfig;
import io.tessera.core.model.VqWeights;
import java.util.Map;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The LlamaGen VQModel ({@code tokenizer/tokenizer_image/vq_model.py}) for training, with the
 * official state-dict names: encoder (conv_in, conv_blocks.{i}.res/attn/downsample, mid, norm_out,
 * conv_out), quant_conv, l2-normalised codebook {@code quantize.embedding.weight}, post_quant_conv
 * and decoder. The encoder uses the decoder's ch, ch_mult and num_res_blocks (decoder: one more
 * ResNet block per level), as the official VQ_8/VQ_16 do. Attention blocks sit at the lowest level.
 */
public final class VqNet {
    private final VqConfig c;
    private final ParamStore p;
    private final int levels;

    /** Registers every parameter of the model in {@code p}, initialised as PyTorch's defaults do. */
    public VqNet(VqConfig c, ParamStore p) {
        this.c = c;
        this.p = p;
        int[] mult = c.decoderChMult();
        levels = mult.length;
        // core's name map, in its order (the order of the random draws): convs as nn.Conv2d, GroupNorms
        // as nn.GroupNorm, the codebook uniform(-1/K, 1/K) then l2-normalised rows as VectorQuantizer.__init__
        Map<String, long[]> layout = VqWeights.fullLayout(c);
        layout.forEach((name, shape) -> {
            if (name.equals("quantize.embedding.weight")) {
                Tensor e = Ops.uniform(p.device(), 1.0 / c.codebookSize(), shape);
                p.add(name, c.codebookL2Norm() ? l2(e) : e);
            } else if (shape.length == 4) {                                     // conv weight [out, in, k, k]
                p.add(name, Ops.uniform(p.device(), convBound(shape), shape));
            } else if (name.endsWith(".bias") && layout.containsKey(convWeight(name)) && layout.get(convWeight(name)).length == 4) {
                p.add(name, Ops.uniform(p.device(), convBound(layout.get(convWeight(name))), shape)); // conv bias
            } else if (name.endsWith(".weight")) {
                p.add(name, Ops.ones(p.device(), shape));                       // GroupNorm weight
            } else {
                p.add(name, Ops.zeros(p.device(), shape));                      // GroupNorm bias
            }
        });
    }

    /** nn.Conv2d default init: kaiming_uniform(a=√5) weight and uniform bias, both ±1/√fan_in. */
    private static double convBound(long[] weightShape) {
        return 1.0 / Math.sqrt((double) weightShape[1] * weightShape[2] * weightShape[3]);
    }

    private static String convWeight(String bias) {
        return bias.substring(0, bias.length() - ".bias".length()) + ".weight";
    }

    public VqConfig config() {
        return c;
    }

    /** Result of {@link #quantize}: straight-through latents, code indices and the two VQ losses. */
    public record Quantized(Tensor zq, Tensor indices, Tensor codebookLoss, Tensor commitLoss) {
    }

    /** Images [B, 3, S, S] in [−1, 1] → pre-quantisation latents [B, embed, S/ds, S/ds] (after quant_conv). */
    public Tensor encode(Tensor x) {
        Tensor h = conv("encoder.conv_in", x, 1, 1);                           // [B, ch, S, S]
        for (int i = 0; i < levels; i++) {
            String b = "encoder.conv_blocks." + i;
            for (int j = 0; j < c.numResBlocks(); j++) {
                h = res(b + ".res." + j, h);
                if (i == levels - 1) {
                    h = attn(b + ".attn." + j, h);
                }
            }
            if (i != levels - 1) {
                h = conv(b + ".downsample.conv", torch.pad(h, 0, 1, 0, 1), 2, 0); // [B, C, S/2, S/2]
            }
        }
        h = res("encoder.mid.2", attn("encoder.mid.1", res("encoder.mid.0", h)));
        h = conv("encoder.conv_out", torch.silu(norm("encoder.norm_out", h)), 1, 1); // [B, z, G, G]
        return conv("quant_conv", h, 1, 0);                                    // [B, embed, G, G]
    }

    /**
     * Nearest code per latent vector (cosine when l2-normalised), codebook loss
     * {@code mean((zq − sg[z])²)}, commitment loss {@code β·mean((sg[zq] − z)²)} and the
     * straight-through output {@code z + sg[zq − z]}, as VectorQuantizer.forward.
     */
    public Quantized quantize(Tensor z, double beta) {
        long b = z.size(0);
        long d = z.size(1);
        long g = z.size(2);
        Tensor zf = z.permute(0, 2, 3, 1).reshape(-1, d);                      // [B·G·G, embed]
        Tensor emb = p.get("quantize.embedding.weight");                      // [K, embed]
        if (c.codebookL2Norm()) {
            zf = l2(zf);
            emb = l2(emb);
        }
        Tensor dist = zf.matmul(emb.transpose(0, 1)).mul(Ops.s(-2));          // [B·G·G, K]
        if (!c.codebookL2Norm()) {
            dist = dist.add(zf.square().sum(new long[] {1}, true, new org.bytedeco.pytorch.ScalarTypeOptional()))
                    .add(emb.square().sum(new long[] {1}, false, new org.bytedeco.pytorch.ScalarTypeOptional()));
        }
        Tensor idx;
        try (org.bytedeco.pytorch.NoGradGuard _ = new org.bytedeco.pytorch.NoGradGuard()) {
            idx = dist.argmin(new org.bytedeco.pytorch.LongOptional(1), false); // [B·G·G]
        }
        Tensor zq = emb.index_select(0, idx);                                 // [B·G·G, embed]
        Tensor codebookLoss = torch.mse_loss(zq, zf.detach());
        Tensor commitLoss = torch.mse_loss(zq.detach(), zf).mul(Ops.s(beta));
        Tensor st = zf.add(zq.sub(zf).detach());
        Tensor out = st.reshape(b, g, g, d).permute(0, 3, 1, 2);              // [B, embed, G, G]
        return new Quantized(out, idx.reshape(b, g * g), codebookLoss, commitLoss);
    }

    /** Code indices [B, G·G] (raster) → quantised latents [B, embed, G, G] (get_codebook_entry). */
    public Tensor lookup(Tensor indices, long grid) {
        Tensor emb = p.get("quantize.embedding.weight");
        if (c.codebookL2Norm()) {
            emb = l2(emb);
        }
        long b = indices.size(0);
        return emb.index_select(0, indices.reshape(-1)).reshape(b, grid, grid, c.codebookEmbedDim()).permute(0, 3, 1, 2);
    }

    /** Quantised latents [B, embed, G, G] → images [B, 3, G·ds, G·ds]. */
    public Tensor decode(Tensor zq) {
        Tensor h = conv("post_quant_conv", zq, 1, 0);                          // [B, z, G, G]
        h = conv("decoder.conv_in", h, 1, 1);                                 // [B, ch·mult[-1], G, G]
        h = res("decoder.mid.2", attn("decoder.mid.1", res("decoder.mid.0", h)));
        for (int li = 0; li < levels; li++) {
            int iLevel = levels - 1 - li;
            String b = "decoder.conv_blocks." + li;
            for (int j = 0; j <= c.numResBlocks(); j++) {
                h = res(b + ".res." + j, h);
                if (iLevel == levels - 1) {
                    h = attn(b + ".attn." + j, h);
                }
            }
            if (iLevel != 0) {
                long hh = h.size(2);
                long ww = h.size(3);
                h = torch.upsample_nearest2d(h, new long[] {2 * hh, 2 * ww}, new DoubleOptional(), new DoubleOptional());
                h = conv(b + ".upsample.conv", h, 1, 1);                      // [B, C, 2H, 2W]
            }
        }
        return conv("decoder.conv_out", torch.silu(norm("decoder.norm_out", h)), 1, 1); // [B, 3, S, S]
    }

    // ---- blocks -------------------------------------------------------------------------------

    private Tensor conv(String name, Tensor x, int stride, int pad) {
        return Ops.conv2d(x, p.get(name + ".weight"), p.get(name + ".bias"), stride, pad);
    }

    private Tensor norm(String name, Tensor x) {
        return Ops.groupNorm(x, p.get(name + ".weight"), p.get(name + ".bias"));
    }

    /** ResnetBlock: norm1 → swish → conv1 → norm2 → swish → conv2, + (nin_shortcut when in ≠ out). */
    private Tensor res(String name, Tensor x) {
        Tensor h = conv(name + ".conv1", torch.silu(norm(name + ".norm1", x)), 1, 1);
        h = conv(name + ".conv2", torch.silu(norm(name + ".norm2", h)), 1, 1);
        Tensor shortcut = p.has(name + ".nin_shortcut.weight") ? conv(name + ".nin_shortcut", x, 1, 0) : x;
        return shortcut.add(h);
    }

    /** AttnBlock: norm → 1×1 q, k, v → single-head softmax over H·W (scale C^-½) → proj_out, + x. */
    private Tensor attn(String name, Tensor x) {
        long b = x.size(0);
        long ch = x.size(1);
        long hh = x.size(2);
        long ww = x.size(3);
        Tensor h = norm(name + ".norm", x);
        Tensor q = conv(name + ".q", h, 1, 0).reshape(b, 1, ch, hh * ww).transpose(2, 3); // [B, 1, HW, C]
        Tensor k = conv(name + ".k", h, 1, 0).reshape(b, 1, ch, hh * ww).transpose(2, 3);
        Tensor v = conv(name + ".v", h, 1, 0).reshape(b, 1, ch, hh * ww).transpose(2, 3);
        Tensor o = Ops.attention(q, k, v, false).transpose(2, 3).reshape(b, ch, hh, ww); // [B, C, H, W]
        return x.add(conv(name + ".proj_out", o, 1, 0));
    }

    // ---- parameters ---------------------------------------------------------------------------

    /** F.normalize(x, p=2, dim=-1): x / max(‖x‖, 1e-12). */
    static Tensor l2(Tensor x) {
        Tensor n = x.norm(new ScalarOptional(Ops.s(2)), new long[] {-1}, true).clamp(new ScalarOptional(Ops.s(1e-12)), new ScalarOptional());
        return x.div(n);
    }
}
