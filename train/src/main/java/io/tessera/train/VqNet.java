package io.tessera.train;

import io.tessera.core.model.VqConfig;
import io.tessera.core.model.VqWeights;
import io.tessera.torch.nn.Ops;
import io.tessera.torch.nn.ParamStore;
import io.tessera.torch.nn.VqModule;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The LlamaGen VQModel ({@code tokenizer/tokenizer_image/vq_model.py}) for training, with the
 * official state-dict names: encoder (conv_in, conv_blocks.{i}.res/attn/downsample, mid, norm_out,
 * conv_out), quant_conv, l2-normalised codebook {@code quantize.embedding.weight}, post_quant_conv
 * and decoder. The encoder uses the decoder's ch, ch_mult and num_res_blocks (decoder: one more
 * ResNet block per level), as the official VQ_8/VQ_16 do. Attention blocks sit at the lowest level.
 * The decode path is the family's one libtorch module ({@link VqModule}, the one inference runs), and
 * the encoder is built of that module's ResNet and attention blocks; the quantiser is training-only.
 */
public final class VqNet {
    private final VqConfig c;
    private final ParamStore p;
    private final int levels;
    private final VqModule decoder;

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
                p.add(name, c.codebookL2Norm() ? VqModule.l2(e) : e);
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
        decoder = new VqModule(new VqWeights(c, p.asCheckpoint()), p, false);
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
        Tensor h = VqModule.conv(x, conv("encoder.conv_in"));                 // [B, ch, S, S]
        for (int i = 0; i < levels; i++) {
            String b = "encoder.conv_blocks." + i;
            for (int j = 0; j < c.numResBlocks(); j++) {
                h = res(b + ".res." + j, h);
                if (i == levels - 1) {
                    h = attn(b + ".attn." + j, h);
                }
            }
            if (i != levels - 1) {
                h = VqModule.conv(torch.pad(h, 0, 1, 0, 1), conv(b + ".downsample.conv"), 2, 0); // [B, C, S/2, S/2]
            }
        }
        h = res("encoder.mid.2", attn("encoder.mid.1", res("encoder.mid.0", h)));
        h = VqModule.conv(torch.silu(VqModule.norm(h, norm("encoder.norm_out"))), conv("encoder.conv_out")); // [B, z, G, G]
        return VqModule.conv(h, conv("quant_conv"));                           // [B, embed, G, G]
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
        Tensor emb = decoder.codebook();                                      // [K, embed], normalised when l2
        if (c.codebookL2Norm()) {
            zf = VqModule.l2(zf);
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
        return decoder.lookup(indices.reshape(indices.size(0), grid, grid));
    }

    /** Quantised latents [B, embed, G, G] → images [B, 3, G·ds, G·ds] (the family's decode module). */
    public Tensor decode(Tensor zq) {
        return decoder.decode(zq);
    }

    // ---- encoder blocks by name (the block math is the module's) --------------------------------

    private VqModule.Conv conv(String name) {
        return new VqModule.Conv(p.get(name + ".weight"), p.get(name + ".bias"));
    }

    private VqModule.Norm norm(String name) {
        return new VqModule.Norm(p.get(name + ".weight"), p.get(name + ".bias"));
    }

    private Tensor res(String name, Tensor x) {
        VqModule.Conv shortcut = p.has(name + ".nin_shortcut.weight") ? conv(name + ".nin_shortcut") : null;
        return VqModule.res(x, new VqModule.Res(norm(name + ".norm1"), conv(name + ".conv1"), norm(name + ".norm2"), conv(name + ".conv2"), shortcut));
    }

    private Tensor attn(String name, Tensor x) {
        return VqModule.attn(x, new VqModule.Attn(norm(name + ".norm"), conv(name + ".q"), conv(name + ".k"), conv(name + ".v"),
                conv(name + ".proj_out")));
    }
}
