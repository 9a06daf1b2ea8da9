package io.tessera.torch.nn;

import io.tessera.core.model.LlamaGenConfig;
import io.tessera.core.model.LlamaGenWeights;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The LlamaGen c2i GPT ({@code autoregressive/models/gpt.py Transformer}) on libtorch, written once for
 * inference and training: RMSNorm, fused wqkv, 2-D RoPE on q and k, SwiGLU, no biases. Only the attention
 * step differs between the two, and the caller supplies it ({@link Attention}): the inference session
 * attends over its KV cache, training over the whole teacher-forced sequence ({@link #forward(Tensor, Tensor)},
 * causal). Parameters come from core's {@link LlamaGenWeights} through {@link Params}: uploaded checkpoint
 * tensors, or a trainer's leaf parameters of the same official names.
 */
public final class LlamaGenModule {

    /** One transformer block. */
    private record Block(
            Tensor attentionNorm, // [dim]
            Tensor wqkv,          // [(n_head + 2·n_kv_head)·head_dim, dim]
            Tensor wo,            // [dim, dim]
            Tensor ffnNorm,       // [dim]
            Tensor w1,            // [hidden, dim]  gate
            Tensor w3,            // [hidden, dim]  up
            Tensor w2) {          // [dim, hidden]  down
    }

    private final LlamaGenConfig c;
    private final ScalarType dtype;
    private final Params params;
    private final Tensor clsEmbedding;   // [classes (+1 null), dim], null when the table is joined once
    private final Tensor tokEmbeddings;  // [vocab, dim], null when the table is joined once
    private final Tensor joined;         // [classes (+1) + vocab (+ extra), dim], or null: joined per forward
    private final List<Block> blocks = new ArrayList<>();
    private final Tensor norm;           // [dim]
    private final Tensor output;         // [vocab, dim]
    private final Tensor freqsCis;       // [1 + grid², head_dim] float32: (cos, sin) pairs; row 0 = class position (zeros)

    /**
     * @param dtype compute dtype of the activations (the parameters' dtype); RMSNorm and RoPE run in float32
     * @param extra rows appended to the embedding table (PAR's transition tokens, RandAR's instructions) or
     *              null; when non-null, or when {@code joinOnce}, the table cls | tok | extra is joined once here
     *              (frozen inference weights); otherwise it is joined per forward from the live parameters
     */
    public LlamaGenModule(LlamaGenWeights w, Params params, ScalarType dtype, Tensor extra, boolean joinOnce) {
        this.c = w.config();
        this.dtype = dtype;
        this.params = params;
        if (joinOnce || extra != null) {
            TensorVector tables = new TensorVector(params.get(w.clsEmbedding()), params.get(w.tokEmbeddings()));
            if (extra != null) {
                tables.push_back(extra);
            }
            joined = params.keep(torch.cat(tables, 0));
            clsEmbedding = null;
            tokEmbeddings = null;
        } else {
            joined = null;
            clsEmbedding = param(w.clsEmbedding());
            tokEmbeddings = param(w.tokEmbeddings());
        }
        for (LlamaGenWeights.Layer l : w.layers()) {
            blocks.add(new Block(param(l.attentionNorm()), param(l.wqkv()), param(l.wo()), param(l.ffnNorm()),
                    param(l.w1()), param(l.w3()), param(l.w2())));
        }
        norm = param(w.norm());
        output = param(w.output());
        io.tessera.core.model.Rope2d rope = io.tessera.core.model.Rope2d.of(c.grid(), c.headDim(), c.ropeBase());
        Tensor host = Tensor.create(rope.interleaved(), rope.positions(), (long) rope.pairs() * 2);
        freqsCis = params.keep(params.device().is_cpu() ? host : host.to(params.device(), ScalarType.Float));
    }

    private Tensor param(io.tessera.core.checkpoint.Tensor t) {
        return params.keep(params.get(t));
    }

    public LlamaGenConfig config() {
        return c;
    }

    /** Core's {@link io.tessera.core.model.Rope2d} as the official {@code freqs_cis}: [1 + grid², hd/2, 2] float32 (cos, sin). */
    public static Tensor freqsCis2d(int grid, int headDim, float base) {
        io.tessera.core.model.Rope2d t = io.tessera.core.model.Rope2d.of(grid, headDim, base);
        return Tensor.create(t.interleaved(), t.positions(), t.pairs(), 2);
    }

    /** Row of the embedding table where token id {@code id} sits (class rows come first, at their ids). */
    public int tokenRow(int id) {
        return c.classTableRows() + id;
    }

    /** Row of the embedding table where row {@code id} of the extra table sits. */
    public int extraRow(int id) {
        return c.classTableRows() + c.vocabSize() + id;
    }

    /**
     * Training: the teacher-forced sequence {@code [class, x_0 … x_{N−2}]} at positions 0 … N−1, causal
     * attention; logits at position i predict x_i.
     *
     * @param tokens  [B, N] int64 image tokens (raster order)
     * @param classes [B] int64 class ids (num_classes = the null class)
     * @return logits [B, N, vocab]
     */
    public Tensor forward(Tensor tokens, Tensor classes) {
        if (c.nKvHead() != c.nHead()) {
            throw new IllegalArgumentException("the full-sequence forward supports plain multi-head attention only (n_kv_head = n_head)");
        }
        long n = tokens.size(1);
        Tensor rows = Ops.cat(1, classes.unsqueeze(1), tokens.narrow(1, 0, n - 1).add(new Scalar((long) c.classTableRows()))); // [B, N]
        long[] pos = new long[(int) n];
        for (int i = 0; i < pos.length; i++) {
            pos[i] = i;
        }
        return forward(rows, Ops.longs(params.device(), pos, 1, n), (layer, q, k, v) -> {
            long b = q.size(0);
            long l = q.size(1);
            return Ops.attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2), true)
                    .transpose(1, 2).reshape(b, l, (long) c.nHead() * c.headDim());                        // [B, L, dim]
        });
    }

    /**
     * The GPT over entries that already know their table row and position.
     *
     * @param rows      [B, T] int64 rows of the embedding table (class id, {@link #tokenRow}, {@link #extraRow})
     * @param positions [B, T] or [1, T] int64 RoPE rows (0 = class position: zeros, so its q and k become 0)
     * @return logits [B, T, vocab] in the compute dtype
     */
    public Tensor forward(Tensor rows, Tensor positions, Attention attention) {
        final int nh = c.nHead();
        final int kvh = c.nKvHead();
        final int hd = c.headDim();
        // 1. Embedding: one lookup in the joined table cls_embedding | tok_embeddings (| extra).
        Tensor table = joined != null ? joined : Ops.cat(0, clsEmbedding, tokEmbeddings);
        Tensor h = torch.embedding(table, rows);                                                      // [B, T, dim]
        long b = h.size(0);
        long t = h.size(1);

        // 2. RoPE rows of each entry's position.
        Tensor rope = torch.embedding(freqsCis, positions).view(positions.size(0), t, 1, hd / 2, 2);  // [B|1, T, 1, hd/2, 2]
        Tensor cos = rope.select(-1, 0);                                                              // [B|1, T, 1, hd/2]
        Tensor sin = rope.select(-1, 1);

        for (int layer = 0; layer < blocks.size(); layer++) {
            Block blk = blocks.get(layer);
            // 3. Attention: RMSNorm → fused wqkv → q | k | v per head → 2-D RoPE on q, k → the caller's attention.
            Tensor x = rmsNorm(h, blk.attentionNorm());
            TensorVector qkv = Ops.linear(x, blk.wqkv(), null)
                    .split_with_sizes(new long[] {(long) nh * hd, (long) kvh * hd, (long) kvh * hd}, -1);
            Tensor q = rotate(qkv.get(0).view(b, t, nh, hd), cos, sin);                              // [B, T, H, hd]
            Tensor k = rotate(qkv.get(1).view(b, t, kvh, hd), cos, sin);                             // [B, T, KVH, hd]
            Tensor v = qkv.get(2).view(b, t, kvh, hd);
            h = h.add(Ops.linear(attention.attend(layer, q, k, v), blk.wo(), null));

            // 4. SwiGLU feed-forward: h += w2(silu(w1 x) ⊙ w3 x), x = RMSNorm_ffn(h).
            Tensor xf = rmsNorm(h, blk.ffnNorm());
            Tensor gate = torch.silu(Ops.linear(xf, blk.w1(), null));
            h = h.add(Ops.linear(gate.mul(Ops.linear(xf, blk.w3(), null)), blk.w2(), null));
        }

        // 5. Final norm and output head.
        return Ops.linear(rmsNorm(h, norm), output, null);                                            // [B, T, vocab]
    }

    /** RMSNorm as gpt.py: {@code (x.float() * rsqrt(mean(x²) + eps)).type_as(x) * weight}. */
    private Tensor rmsNorm(Tensor x, Tensor weight) {
        Tensor xf = x.to(ScalarType.Float);
        Tensor ms = xf.square().mean(new long[] {-1}, true, new ScalarTypeOptional());
        return xf.mul(ms.add(new Scalar((double) c.normEps())).rsqrt()).to(dtype).mul(weight);
    }

    /** apply_rotary_emb in float32 ({@link #rotateFloat}), cast back to the compute dtype. */
    private Tensor rotate(Tensor x, Tensor cos, Tensor sin) {
        return rotateFloat(x, cos, sin).to(dtype);
    }

    /**
     * apply_rotary_emb: in float32, adjacent pairs (a, b) = (x[2m], x[2m+1]) become
     * (a·cos − b·sin, b·cos + a·sin); x [B, T, heads, hd], cos/sin broadcastable to [B, T, heads, hd/2].
     */
    public static Tensor rotateFloat(Tensor x, Tensor cos, Tensor sin) {
        long[] s = x.shape();                                                              // [B, T, heads, hd]
        Tensor pairs = x.to(ScalarType.Float).reshape(s[0], s[1], s[2], s[3] / 2, 2);
        Tensor a = pairs.select(-1, 0);
        Tensor bb = pairs.select(-1, 1);
        Tensor ra = a.mul(cos).sub(bb.mul(sin));
        Tensor rb = bb.mul(cos).add(a.mul(sin));
        return torch.stack(new TensorVector(ra, rb), -1).flatten(3, -1);
    }
}
