package io.tessera.torch;

import io.tessera.core.BackendException;
import io.tessera.core.model.VqConfig;
import io.tessera.core.model.VqWeights;
import io.tessera.core.spi.VqDecoderSession;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The LlamaGen VQ decoder ({@code tokenizer/tokenizer_image/vq_model.py}: codebook lookup,
 * post_quant_conv, Decoder) on libtorch, always in float32 as the official scripts run it.
 */
final class TorchVqDecoder implements VqDecoderSession {

    private record Conv(Tensor weight, Tensor bias) { // weight [out, in, k, k], bias [out]
    }

    private record Norm(Tensor weight, Tensor bias) { // GroupNorm(32) affine, [channels] each
    }

    private record Res(Norm norm1, Conv conv1, Norm norm2, Conv conv2, Conv ninShortcut) { // shortcut null when in = out
    }

    private record Attn(Norm norm, Conv q, Conv k, Conv v, Conv projOut) { // 1×1 convs [C, C, 1, 1]
    }

    private record Level(List<Res> res, List<Attn> attn, Conv upsample) { // upsample null at the last level
    }

    private static final int GROUPS = 32;
    private static final double GROUP_NORM_EPS = 1e-6;
    private static final double L2_EPS = 1e-12;

    private final VqConfig config;
    private final Device device;
    private final TorchTensors owned = new TorchTensors();

    private final Tensor codebook;     // [codebook_size, embed_dim], L2-normalised rows when codebook_l2_norm
    private final Conv postQuantConv;  // [z, embed, 1, 1]
    private final Conv convIn;         // [ch·mult[-1], z, 3, 3]
    private final Res mid0;
    private final Attn mid1;
    private final Res mid2;
    private final List<Level> levels = new ArrayList<>(); // lowest resolution first
    private final Norm normOut;        // [ch·mult[0]]
    private final Conv convOut;        // [out_channels, ch·mult[0], 3, 3]

    TorchVqDecoder(VqWeights w, TorchOptions options) {
        this.config = w.config();
        this.device = options.device();
        options.applyThreads();
        try (PointerScope _ = new PointerScope()) {
            Tensor table = TorchTensors.upload(w.codebook(), device, ScalarType.Float);
            if (config.codebookL2Norm()) {
                // F.normalize(weight, p=2, dim=-1): row / max(‖row‖₂, 1e-12)
                Tensor norms = table.norm(new ScalarOptional(new Scalar(2.0)), new long[] {-1}, true).clamp_min(new Scalar(L2_EPS));
                table = table.div(norms);
            }
            codebook = owned.keep(table);
            postQuantConv = conv(w.postQuantConv());
            convIn = conv(w.convIn());
            mid0 = res(w.mid0());
            mid1 = attn(w.mid1());
            mid2 = res(w.mid2());
            for (VqWeights.Level l : w.levels()) {
                levels.add(new Level(l.res().stream().map(this::res).toList(), l.attn().stream().map(this::attn).toList(),
                        l.upsample() == null ? null : conv(l.upsample())));
            }
            normOut = norm(w.normOut());
            convOut = conv(w.convOut());
        } catch (RuntimeException e) {
            owned.close();
            throw e;
        }
    }

    private Tensor upload(io.tessera.core.checkpoint.Tensor t) {
        return owned.keep(TorchTensors.upload(t, device, ScalarType.Float));
    }

    private Conv conv(VqWeights.Conv c) {
        return new Conv(upload(c.weight()), upload(c.bias()));
    }

    private Norm norm(VqWeights.Norm n) {
        return new Norm(upload(n.weight()), upload(n.bias()));
    }

    private Res res(VqWeights.ResBlock r) {
        return new Res(norm(r.norm1()), conv(r.conv1()), norm(r.norm2()), conv(r.conv2()),
                r.ninShortcut() == null ? null : conv(r.ninShortcut()));
    }

    private Attn attn(VqWeights.AttnBlock a) {
        return new Attn(norm(a.norm()), conv(a.q()), conv(a.k()), conv(a.v()), conv(a.projOut()));
    }

    @Override
    public float[] decode(int[] tokens, int n, int h, int w) {
        if (n <= 0 || h <= 0 || w <= 0 || tokens.length != (long) n * h * w) {
            throw new BackendException("torch: decode needs n·h·w = " + ((long) n * h * w) + " tokens, got " + tokens.length);
        }
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] < 0 || tokens[i] >= config.codebookSize()) {
                throw new BackendException("torch: token " + tokens[i] + " at " + i + " is outside the codebook [0, " + config.codebookSize() + ")");
            }
        }
        try (PointerScope _ = new PointerScope()) {
            // 1. Codebook rows, (n, h, w, e) → NCHW.                                       [n, e, h, w]
            Tensor z = torch.embedding(codebook, TorchTensors.longs(tokens, device, n, h, w)).permute(0, 3, 1, 2).contiguous();
            // 2. post_quant_conv 1×1 (e → z), 3. conv_in 3×3 (z → ch·mult[-1]).
            Tensor x = conv2d(conv2d(z, postQuantConv), convIn);
            // 4. mid: Res, Attn, Res.
            x = resBlock(x, mid0);
            x = attnBlock(x, mid1);
            x = resBlock(x, mid2);
            // 5. Levels, lowest resolution first: res[i] (+ attn[i]); nearest ×2 + 3×3 conv except the last.
            for (Level level : levels) {
                for (int i = 0; i < level.res().size(); i++) {
                    x = resBlock(x, level.res().get(i));
                    if (!level.attn().isEmpty()) {
                        x = attnBlock(x, level.attn().get(i));
                    }
                }
                if (level.upsample() != null) {
                    x = conv2d(torch.upsample_nearest2d(x, new long[] {x.size(2) * 2, x.size(3) * 2}), level.upsample());
                }
            }
            // 6. norm_out → swish → conv_out.                                          [n, 3, H, W]
            x = conv2d(swish(groupNorm(x, normOut)), convOut);
            return TorchTensors.toFloats(x);
        }
    }

    /** ResnetBlock: norm1 → swish → conv1 → norm2 → swish → conv2, + (nin_shortcut(x) or x). */
    private static Tensor resBlock(Tensor x, Res r) {
        Tensor h = conv2d(swish(groupNorm(x, r.norm1())), r.conv1());
        h = conv2d(swish(groupNorm(h, r.norm2())), r.conv2());
        Tensor shortcut = r.ninShortcut() == null ? x : conv2d(x, r.ninShortcut());
        return shortcut.add(h);
    }

    /** AttnBlock: single-head softmax over the h·w positions, scale C^-½, then proj_out, + x. */
    private static Tensor attnBlock(Tensor x, Attn a) {
        long b = x.size(0);
        long ch = x.size(1);
        long hw = x.size(2) * x.size(3);
        Tensor hn = groupNorm(x, a.norm());
        Tensor q = conv2d(hn, a.q()).reshape(b, ch, hw).permute(0, 2, 1);     // [b, hw, c]
        Tensor k = conv2d(hn, a.k()).reshape(b, ch, hw);                      // [b, c, hw]
        Tensor v = conv2d(hn, a.v()).reshape(b, ch, hw);                      // [b, c, hw]
        Tensor weights = torch.bmm(q, k).mul(new Scalar(Math.pow(ch, -0.5))).softmax(2); // [b, hw(query), hw(key)]
        Tensor out = torch.bmm(v, weights.permute(0, 2, 1)).reshape(x.size(0), ch, x.size(2), x.size(3));
        return x.add(conv2d(out, a.projOut()));
    }

    /** Conv2d with stride 1 and "same" padding (k / 2). */
    static Tensor conv2d(Tensor x, Tensor weight, Tensor bias) {
        long pad = weight.size(2) / 2;
        return torch.conv2d(x, weight, new TensorOptional(bias), new long[] {1, 1}, new long[] {pad, pad}, new long[] {1, 1}, 1);
    }

    private static Tensor conv2d(Tensor x, Conv c) {
        return conv2d(x, c.weight(), c.bias());
    }

    private static Tensor groupNorm(Tensor x, Norm n) {
        return torch.group_norm(x, GROUPS, new TensorOptional(n.weight()), new TensorOptional(n.bias()), GROUP_NORM_EPS, true);
    }

    private static Tensor swish(Tensor x) {
        return x.mul(x.sigmoid());
    }

    @Override
    public void close() {
        owned.close();
    }
}
