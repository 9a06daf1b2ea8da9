package io.tessera.torch.nn;

import io.tessera.core.model.VqConfig;
import io.tessera.core.model.VqWeights;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The LlamaGen VQ decode path ({@code tokenizer/tokenizer_image/vq_model.py}: codebook lookup,
 * post_quant_conv, Decoder) on libtorch in float32, written once for inference and training, and the
 * ResNet and attention blocks the training encoder is built of ({@link #res}, {@link #attn}).
 */
public final class VqModule {

    /** weight [out, in, k, k], bias [out]; stride 1 and "same" padding unless a caller says otherwise. */
    public record Conv(Tensor weight, Tensor bias) {
    }

    /** GroupNorm(32 groups, eps 1e-6) affine, [channels] each. */
    public record Norm(Tensor weight, Tensor bias) {
    }

    /** ResnetBlock; {@code ninShortcut} null when in = out. */
    public record Res(Norm norm1, Conv conv1, Norm norm2, Conv conv2, Conv ninShortcut) {
    }

    /** AttnBlock: 1×1 convs [C, C, 1, 1]. */
    public record Attn(Norm norm, Conv q, Conv k, Conv v, Conv projOut) {
    }

    private record Level(List<Res> res, List<Attn> attn, Conv upsample) { // upsample null at the last level
    }

    private static final double L2_EPS = 1e-12;

    private final VqConfig config;
    private final Tensor codebook;     // [codebook_size, embed_dim] as stored
    private final Tensor lookupTable;  // the same, L2-normalised once when codebook_l2_norm and frozen; else null
    private final Conv postQuantConv;  // [z, embed, 1, 1]
    private final Conv convIn;         // [ch·mult[-1], z, 3, 3]
    private final Res mid0;
    private final Attn mid1;
    private final Res mid2;
    private final List<Level> levels = new ArrayList<>(); // lowest resolution first
    private final Norm normOut;        // [ch·mult[0]]
    private final Conv convOut;        // [out_channels, ch·mult[0], 3, 3]

    /** @param frozen inference weights: the codebook's normalised rows are computed once here, not per lookup */
    public VqModule(VqWeights w, Params params, boolean frozen) {
        this.config = w.config();
        Function<io.tessera.core.checkpoint.Tensor, Tensor> p = t -> params.keep(params.get(t));
        codebook = p.apply(w.codebook());
        lookupTable = frozen && config.codebookL2Norm() ? params.keep(l2(codebook)) : null;
        postQuantConv = conv(w.postQuantConv(), p);
        convIn = conv(w.convIn(), p);
        mid0 = res(w.mid0(), p);
        mid1 = attn(w.mid1(), p);
        mid2 = res(w.mid2(), p);
        for (VqWeights.Level l : w.levels()) {
            levels.add(new Level(l.res().stream().map(r -> res(r, p)).toList(), l.attn().stream().map(a -> attn(a, p)).toList(),
                    l.upsample() == null ? null : conv(l.upsample(), p)));
        }
        normOut = norm(w.normOut(), p);
        convOut = conv(w.convOut(), p);
    }

    private static Conv conv(VqWeights.Conv c, Function<io.tessera.core.checkpoint.Tensor, Tensor> p) {
        return new Conv(p.apply(c.weight()), p.apply(c.bias()));
    }

    private static Norm norm(VqWeights.Norm n, Function<io.tessera.core.checkpoint.Tensor, Tensor> p) {
        return new Norm(p.apply(n.weight()), p.apply(n.bias()));
    }

    private static Res res(VqWeights.ResBlock r, Function<io.tessera.core.checkpoint.Tensor, Tensor> p) {
        return new Res(norm(r.norm1(), p), conv(r.conv1(), p), norm(r.norm2(), p), conv(r.conv2(), p),
                r.ninShortcut() == null ? null : conv(r.ninShortcut(), p));
    }

    private static Attn attn(VqWeights.AttnBlock a, Function<io.tessera.core.checkpoint.Tensor, Tensor> p) {
        return new Attn(norm(a.norm(), p), conv(a.q(), p), conv(a.k(), p), conv(a.v(), p), conv(a.projOut(), p));
    }

    public VqConfig config() {
        return config;
    }

    /** The codebook rows codes are looked up in: L2-normalised when {@code codebook_l2_norm} (get_codebook_entry). */
    public Tensor codebook() {
        if (lookupTable != null) {
            return lookupTable;
        }
        return config.codebookL2Norm() ? l2(codebook) : codebook;
    }

    /** The codebook as stored (the parameter itself; the quantiser normalises it itself). */
    public Tensor codebookParameter() {
        return codebook;
    }

    /** Code indices [B, h, w] → quantised latents [B, embed, h, w] (get_codebook_entry). */
    public Tensor lookup(Tensor indices) {
        return torch.embedding(codebook(), indices).permute(0, 3, 1, 2).contiguous();
    }

    /** Quantised latents [B, embed, h, w] → images [B, 3, h·ds, w·ds]. */
    public Tensor decode(Tensor zq) {
        // 1. post_quant_conv 1×1 (e → z), 2. conv_in 3×3 (z → ch·mult[-1]).
        Tensor x = conv(conv(zq, postQuantConv), convIn);
        // 3. mid: Res, Attn, Res.
        x = res(attn(res(x, mid0), mid1), mid2);
        // 4. Levels, lowest resolution first: res[i] (+ attn[i]); nearest ×2 + 3×3 conv except the last.
        for (Level level : levels) {
            for (int i = 0; i < level.res().size(); i++) {
                x = res(x, level.res().get(i));
                if (!level.attn().isEmpty()) {
                    x = attn(x, level.attn().get(i));
                }
            }
            if (level.upsample() != null) {
                x = conv(torch.upsample_nearest2d(x, new long[] {x.size(2) * 2, x.size(3) * 2}, new DoubleOptional(), new DoubleOptional()),
                        level.upsample());
            }
        }
        // 5. norm_out → swish → conv_out.                                                    [B, 3, H, W]
        return conv(torch.silu(norm(x, normOut)), convOut);
    }

    // ---- blocks (the decoder's and the training encoder's) --------------------------------------

    /** Conv2d with stride 1 and "same" padding (k / 2). */
    public static Tensor conv(Tensor x, Conv c) {
        return conv(x, c, 1, (int) (c.weight().size(2) / 2));
    }

    public static Tensor conv(Tensor x, Conv c, int stride, int padding) {
        return Ops.conv2d(x, c.weight(), c.bias(), stride, padding);
    }

    /** GroupNorm(32 groups, eps 1e-6, affine), as Normalize() of vq_model.py. */
    public static Tensor norm(Tensor x, Norm n) {
        return Ops.groupNorm(x, n.weight(), n.bias());
    }

    /** ResnetBlock: norm1 → swish → conv1 → norm2 → swish → conv2, + (nin_shortcut(x) or x). */
    public static Tensor res(Tensor x, Res r) {
        Tensor h = conv(torch.silu(norm(x, r.norm1())), r.conv1());
        h = conv(torch.silu(norm(h, r.norm2())), r.conv2());
        Tensor shortcut = r.ninShortcut() == null ? x : conv(x, r.ninShortcut());
        return shortcut.add(h);
    }

    /** AttnBlock: norm → 1×1 q, k, v → single-head softmax over the h·w positions (scale C^-½) → proj_out, + x. */
    public static Tensor attn(Tensor x, Attn a) {
        long b = x.size(0);
        long ch = x.size(1);
        long hh = x.size(2);
        long ww = x.size(3);
        Tensor h = norm(x, a.norm());
        Tensor q = conv(h, a.q()).reshape(b, 1, ch, hh * ww).transpose(2, 3);             // [B, 1, HW, C]
        Tensor k = conv(h, a.k()).reshape(b, 1, ch, hh * ww).transpose(2, 3);
        Tensor v = conv(h, a.v()).reshape(b, 1, ch, hh * ww).transpose(2, 3);
        Tensor o = Ops.attention(q, k, v, false).transpose(2, 3).reshape(b, ch, hh, ww);  // [B, C, H, W]
        return x.add(conv(o, a.projOut()));
    }

    /** F.normalize(x, p=2, dim=-1): x / max(‖x‖₂, 1e-12). */
    public static Tensor l2(Tensor x) {
        Tensor n = x.norm(new ScalarOptional(Ops.s(2)), new long[] {-1}, true).clamp(new ScalarOptional(Ops.s(L2_EPS)), new ScalarOptional());
        return x.div(n);
    }
}
