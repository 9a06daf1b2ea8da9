package io.tessera.torch.nn;

import io.tessera.core.model.LpdConfig;
import io.tessera.core.model.LpdWeights;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * LPD's MAR-style ViT decoder (mit-han-lab/lpd {@code models/lpd.py}, {@code models/block.py}) on libtorch,
 * written once for inference and training: table row + learned absolute {@code pos_embed} →
 * {@code z_proj_ln}, then pre-norm blocks (LayerNorm, qkv with bias, plain multi-head attention without
 * RoPE, proj with bias; LayerNorm, fc1 → exact GELU → fc2 with biases), a final LayerNorm and a bias-free
 * head. Every LayerNorm uses the config's eps and runs in float32. The attention step is the caller's
 * ({@link Attention}): the inference session attends over its KV cache
 * ({@code Attention.forward_inference}), training over the whole layout under the group mask.
 */
public final class LpdModule {

    /** One ViT block. */
    private record Block(
            Tensor norm1W, Tensor norm1B, // [dim]
            Tensor qkvW,                  // [3·dim, dim]  rows q | k | v, each head-major
            Tensor qkvB,                  // [3·dim]
            Tensor projW,                 // [dim, dim]
            Tensor projB,                 // [dim]
            Tensor norm2W, Tensor norm2B, // [dim]
            Tensor fc1W,                  // [hidden, dim]
            Tensor fc1B,                  // [hidden]
            Tensor fc2W,                  // [dim, hidden]
            Tensor fc2B) {                // [dim]
    }

    private final LpdConfig c;
    private final ScalarType dtype;
    private final Params params;
    private final Tensor classEmb;    // [class_num, dim]     (null when the table is joined once)
    private final Tensor fakeLatent;  // [1, dim]             the null class
    private final Tensor tokenEmb;    // [vocab, dim]
    private final Tensor maskToken;   // [1, 1, dim]          every position query
    private final Tensor joined;      // [class_num + 1 + vocab + 1, dim]: class_emb | fake_latent | token_emb | mask_token, or null
    private final Tensor posEmbed;    // [1, N + 1, dim]      row 0 = class, row 1 + k = cell k
    private final Tensor zLnW;        // [dim]
    private final Tensor zLnB;        // [dim]
    private final List<Block> blocks = new ArrayList<>();
    private final Tensor normW;       // [dim]
    private final Tensor normB;       // [dim]
    private final Tensor head;        // [vocab, dim]  no bias

    /**
     * @param dtype    compute dtype of the activations (the parameters' dtype)
     * @param joinOnce join the embedding tables once here (frozen inference weights); otherwise per forward
     */
    public LpdModule(LpdWeights w, Params params, ScalarType dtype, boolean joinOnce) {
        this.c = w.config();
        this.dtype = dtype;
        this.params = params;
        if (joinOnce) {
            joined = params.keep(Ops.cat(0, params.get(w.classEmb()), params.get(w.fakeLatent()), params.get(w.tokenEmb()),
                    params.get(w.maskToken()).view(1, c.dim())));
            classEmb = null;
            fakeLatent = null;
            tokenEmb = null;
            maskToken = null;
        } else {
            joined = null;
            classEmb = param(w.classEmb());
            fakeLatent = param(w.fakeLatent());
            tokenEmb = param(w.tokenEmb());
            maskToken = param(w.maskToken());
        }
        posEmbed = param(w.posEmbed());
        zLnW = param(w.zProjLnWeight());
        zLnB = param(w.zProjLnBias());
        for (LpdWeights.Block b : w.blocks()) {
            blocks.add(new Block(param(b.norm1Weight()), param(b.norm1Bias()), param(b.qkvWeight()), param(b.qkvBias()),
                    param(b.projWeight()), param(b.projBias()), param(b.norm2Weight()), param(b.norm2Bias()),
                    param(b.fc1Weight()), param(b.fc1Bias()), param(b.fc2Weight()), param(b.fc2Bias())));
        }
        normW = param(w.normWeight());
        normB = param(w.normBias());
        head = param(w.head());
    }

    private Tensor param(io.tessera.core.checkpoint.Tensor t) {
        return params.keep(params.get(t));
    }

    public LpdConfig config() {
        return c;
    }

    /** Row of the embedding table of class id {@code id} ({@code class_num} = fake_latent, the null class). */
    public int classRow(int id) {
        return id;
    }

    /** Row of the embedding table of token id {@code id}. */
    public int tokenRow(int id) {
        return c.numClasses() + 1 + id;
    }

    /** Row of the embedding table of {@code mask_token} (every position query). */
    public int queryRow() {
        return c.numClasses() + 1 + c.vocabSize();
    }

    /**
     * The ViT over entries that already know their table row and position.
     *
     * @param rows      [B, T] int64 rows of the joined table ({@link #classRow}, {@link #tokenRow}, {@link #queryRow})
     * @param positions [B, T] int64 rows of pos_embed (0 = class, 1 + c = cell c; a query sits at its target's)
     * @param outputs   logits for the last {@code outputs} entries only (T: every entry)
     * @return logits [B, outputs, vocab] in the compute dtype
     */
    public Tensor forward(Tensor rows, Tensor positions, Attention attention, long outputs) {
        final int nh = c.numHeads();
        final int hd = c.headDim();
        // 1. Embedding: table row (class, fake_latent, token or mask_token) + pos_embed[position], then z_proj_ln.
        Tensor table = joined != null ? joined : Ops.cat(0, classEmb, fakeLatent, tokenEmb, maskToken.view(1, c.dim()));
        Tensor pos = posEmbed.view(c.seqLen() + 1L, c.dim());                                          // [N + 1, dim]
        Tensor h = layerNorm(torch.embedding(table, rows).add(torch.embedding(pos, positions)), zLnW, zLnB); // [B, T, dim]
        long b = h.size(0);
        long t = h.size(1);

        for (int layer = 0; layer < blocks.size(); layer++) {
            Block blk = blocks.get(layer);
            // 2. Attention: norm1 → qkv (+bias) → q | k | v, each split into heads in order (no RoPE) → the caller's attention.
            Tensor qkv = Ops.linear(layerNorm(h, blk.norm1W(), blk.norm1B()), blk.qkvW(), blk.qkvB())
                    .view(b, t, 3, nh, hd);                                                            // [B, T, 3, H, hd]
            Tensor attn = attention.attend(layer, qkv.select(2, 0), qkv.select(2, 1), qkv.select(2, 2)); // [B, T, dim]
            h = h.add(Ops.linear(attn, blk.projW(), blk.projB()));

            // 3. MLP: h += fc2(gelu(fc1(norm2(h)))), exact erf GELU (nn.GELU(approximate='none')).
            Tensor x = layerNorm(h, blk.norm2W(), blk.norm2B());
            Tensor mid = torch.gelu(Ops.linear(x, blk.fc1W(), blk.fc1B()), "none");                    // [B, T, hidden]
            h = h.add(Ops.linear(mid, blk.fc2W(), blk.fc2B()));
        }

        // 4. Final norm and bias-free head over the entries asked for.
        Tensor out = layerNorm(h, normW, normB);
        if (outputs != t) {
            out = out.narrow(1, t - outputs, outputs);                                                 // [B, outputs, dim]
        }
        return Ops.linear(out, head, null);                                                            // [B, outputs, vocab]
    }

    /**
     * Full attention under a fixed mask over the whole sequence (training's group mask).
     *
     * @param mask [T, T] bool, true = the query row may attend to the key column
     */
    public Attention masked(Tensor mask) {
        return (layer, q, k, v) -> {
            long b = q.size(0);
            long l = q.size(1);
            return torch.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2),
                    new TensorOptional(mask), 0.0, false, new org.bytedeco.pytorch.DoubleOptional(), false)
                    .transpose(1, 2).reshape(b, l, c.dim());                                           // [B, T, dim]
        };
    }

    /** nn.LayerNorm(dim, eps) in float32 (biased variance, affine), cast back to the compute dtype. */
    private Tensor layerNorm(Tensor x, Tensor w, Tensor bias) {
        return torch.layer_norm(x.to(ScalarType.Float), new long[] {c.dim()},
                new TensorOptional(w.to(ScalarType.Float)), new TensorOptional(bias.to(ScalarType.Float)), c.normEps(), true)
                .to(dtype);
    }
}
