package io.tessera.train;

import io.tessera.torch.nn.Ops;
import io.tessera.torch.nn.ParamStore;
import io.tessera.core.model.LlamaGenConfig;
import io.tessera.core.model.LlamaGenWeights;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The LlamaGen c2i GPT ({@code autoregressive/models/gpt.py Transformer}) for training, with the
 * official state-dict names of {@link LlamaGenWeights#layout}: RMSNorm, fused wqkv, SwiGLU, no
 * biases, 2-D RoPE as {@code precompute_freqs_cis_2d} (class position: an all-zero table row).
 * Initialisation as {@code initialize_weights}: Linear and Embedding N(0, 0.02), output zero.
 * No dropout (training-only in the official code; not used here).
 */
public final class GptNet {
    private final LlamaGenConfig c;
    private final ParamStore p;
    private final Tensor cos; // [1 + G², head_dim/2]: row 0 = class token (zeros), row 1+k = image token k
    private final Tensor sin;

    public GptNet(LlamaGenConfig c, ParamStore p) {
        if (c.nKvHead() != c.nHead()) {
            throw new IllegalArgumentException("the trainer supports plain multi-head attention only (n_kv_head = n_head)");
        }
        this.c = c;
        this.p = p;
        double std = 0.02;
        LlamaGenWeights.layout(c).forEach((name, shape) -> {
            Tensor init;
            if (name.endsWith("norm.weight")) {
                init = Ops.ones(p.device(), shape);                 // RMSNorm weight
            } else if (name.equals("output.weight")) {
                init = Ops.zeros(p.device(), shape);                // zero-out output layer
            } else {
                init = Ops.normal(p.device(), std, shape);          // Linear, Embedding
            }
            p.add(name, init);
        });
        float[][] table = ropeTable(c);
        int rows = table[0].length / (c.headDim() / 2);
        cos = Ops.floats(p.device(), table[0], rows, c.headDim() / 2);
        sin = Ops.floats(p.device(), table[1], rows, c.headDim() / 2);
    }

    public LlamaGenConfig config() {
        return c;
    }

    /** cos and sin of core's {@link io.tessera.core.model.Rope2d}, each [1 + G², head_dim/2] flattened. */
    static float[][] ropeTable(LlamaGenConfig c) {
        io.tessera.core.model.Rope2d t = io.tessera.core.model.Rope2d.of(c);
        return new float[][] {t.cos(), t.sin()};
    }

    /**
     * Training forward: input = [class, x_0 .. x_{N−2}], logits at position i predict x_i.
     *
     * @param tokens  [B, N] int64 image tokens (N = grid²)
     * @param classes [B] int64 class ids (num_classes = the null class)
     * @return logits [B, N, vocab]
     */
    public Tensor forward(Tensor tokens, Tensor classes) {
        long n = tokens.size(1);
        Tensor cls = torch.embedding(p.get("cls_embedding.embedding_table.weight"), classes).unsqueeze(1); // [B, 1, d]
        Tensor tok = torch.embedding(p.get("tok_embeddings.weight"), tokens.narrow(1, 0, n - 1));          // [B, N−1, d]
        Tensor h = Ops.cat(1, cls, tok);                                                                    // [B, N, d]
        Tensor cs = cos.narrow(0, 0, n).reshape(1, n, 1, c.headDim() / 2);                                   // rows 0..N−1
        Tensor sn = sin.narrow(0, 0, n).reshape(1, n, 1, c.headDim() / 2);
        for (int i = 0; i < c.nLayer(); i++) {
            h = block(i, h, cs, sn);
        }
        return torch.linear(Ops.rmsNorm(h, p.get("norm.weight"), c.normEps()), p.get("output.weight"));      // [B, N, V]
    }

    /** One TransformerBlock over the full (causal) sequence. */
    private Tensor block(int i, Tensor h, Tensor cs, Tensor sn) {
        long b = h.size(0);
        long l = h.size(1);
        int nh = c.nHead();
        int hd = c.headDim();
        String pre = "layers." + i + ".";
        Tensor x = Ops.rmsNorm(h, p.get(pre + "attention_norm.weight"), c.normEps());
        Tensor qkv = torch.linear(x, p.get(pre + "attention.wqkv.weight"));                 // [B, L, 3d]
        Tensor q = qkv.narrow(2, 0, c.dim()).reshape(b, l, nh, hd);                         // [B, L, H, hd]
        Tensor k = qkv.narrow(2, c.dim(), c.dim()).reshape(b, l, nh, hd);
        Tensor v = qkv.narrow(2, 2L * c.dim(), c.dim()).reshape(b, l, nh, hd);
        q = rope(q, cs, sn).transpose(1, 2);                                                // [B, H, L, hd]
        k = rope(k, cs, sn).transpose(1, 2);
        v = v.transpose(1, 2);
        Tensor o = Ops.attention(q, k, v, true).transpose(1, 2).reshape(b, l, c.dim());  // [B, L, d]
        h = h.add(torch.linear(o, p.get(pre + "attention.wo.weight")));
        Tensor xf = Ops.rmsNorm(h, p.get(pre + "ffn_norm.weight"), c.normEps());
        Tensor ff = torch.silu(torch.linear(xf, p.get(pre + "feed_forward.w1.weight")))
                .mul(torch.linear(xf, p.get(pre + "feed_forward.w3.weight")));             // [B, L, hidden]
        return h.add(torch.linear(ff, p.get(pre + "feed_forward.w2.weight")));              // [B, L, d]
    }

    /** apply_rotary_emb: adjacent pairs (a, b) → (a·cos − b·sin, b·cos + a·sin); x [B, L, H, hd], cs/sn [1, L, 1, hd/2]. */
    private static Tensor rope(Tensor x, Tensor cs, Tensor sn) {
        long[] shape = x.shape();
        Tensor xs = x.reshape(shape[0], shape[1], shape[2], shape[3] / 2, 2);
        Tensor a = xs.select(4, 0);
        Tensor b = xs.select(4, 1);
        Tensor ra = a.mul(cs).sub(b.mul(sn));
        Tensor rb = b.mul(cs).add(a.mul(sn));
        return torch.stack(new org.bytedeco.pytorch.TensorVector(ra, rb), 4).reshape(shape);
    }
}
