package io.tessera.torch;

import io.tessera.core.BackendException;
import io.tessera.core.model.LlamaGenConfig;
import io.tessera.core.model.LlamaGenModel;
import io.tessera.core.model.LlamaGenWeights;
import io.tessera.core.model.ParModel;
import io.tessera.core.spi.ForwardBatch;
import io.tessera.core.spi.GptSession;
import io.tessera.core.spi.ModelSpec;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The LlamaGen c2i GPT ({@code autoregressive/models/gpt.py}) on libtorch, with a KV cache of
 * caller-chosen slots. Weights are uploaded once; each {@link #forward} runs in its own
 * {@link PointerScope} and ends with one device → host copy of the logits.
 *
 * <p>Also runs PAR, the same GPT whose only difference is the embedding step: QUERY entries embed the
 * transition tokens {@code spe_tok_embeddings} (and sit at position 0, the zero RoPE row, so their q and k
 * are 0 as for the class token). RandAR runs on it through {@link TorchRandar}, which supplies its rotated
 * position-instruction table as the QUERY rows.
 */
final class TorchLlamaGen implements GptSession {

    /** One transformer block on the device. */
    private record Block(
            Tensor attentionNorm, // [dim]
            Tensor wqkv,          // [(n_head + 2·n_kv_head)·head_dim, dim]
            Tensor wo,            // [dim, dim]
            Tensor ffnNorm,       // [dim]
            Tensor w1,            // [hidden, dim]  gate
            Tensor w3,            // [hidden, dim]  up
            Tensor w2) {          // [dim, hidden]  down
    }

    private final ModelSpec model;
    private final LlamaGenConfig c;
    private final TorchOptions options;
    private final Device device;
    private final ScalarType dtype;
    private final TorchTensors owned = new TorchTensors();

    private final int queryRows;         // PAR: n − 1 transition tokens; llamagen: 0 (no QUERY entries)
    private final Tensor embeddings;     // [classes (+1 null) + vocab + queryRows, dim]: cls_embedding | tok_embeddings | transition
    private final List<Block> blocks = new ArrayList<>();
    private final Tensor norm;           // [dim]
    private final Tensor output;         // [vocab, dim]
    private final Tensor freqsCis;       // [1 + grid², head_dim/2, 2] float32: (cos, sin); row 0 = class position (zeros)
    private final TorchKvCache cache;    // per layer [rows, n_kv_head, capacity, head_dim]

    TorchLlamaGen(LlamaGenModel model, TorchOptions options) {
        this(model, model.weights(), null, options);
    }

    /** PAR: the GPT plus the transition-token table for QUERY entries. */
    TorchLlamaGen(ParModel model, TorchOptions options) {
        this(model, model.weights().gpt(), model.weights().transition(), options);
    }

    /** The GPT whose QUERY entry of id j embeds row j of {@code transition} (null: no QUERY entries). */
    TorchLlamaGen(ModelSpec model, LlamaGenWeights w, io.tessera.core.checkpoint.Tensor transition, TorchOptions options) {
        this.model = model;
        this.c = w.config();
        this.options = options;
        this.device = options.device();
        this.dtype = options.gptDtype();
        this.queryRows = transition == null ? 0 : (int) transition.shape()[0];
        options.applyThreads();
        try (PointerScope _ = new PointerScope()) {
            TensorVector tables = new TensorVector(TorchTensors.upload(w.clsEmbedding(), device, dtype),
                    TorchTensors.upload(w.tokEmbeddings(), device, dtype));
            if (transition != null) {
                tables.push_back(TorchTensors.upload(transition, device, dtype));
            }
            embeddings = owned.keep(torch.cat(tables, 0));
            for (LlamaGenWeights.Layer l : w.layers()) {
                blocks.add(new Block(upload(l.attentionNorm()), upload(l.wqkv()), upload(l.wo()), upload(l.ffnNorm()),
                        upload(l.w1()), upload(l.w3()), upload(l.w2())));
            }
            norm = upload(w.norm());
            output = upload(w.output());
            freqsCis = owned.keep(freqsCis2d(c.grid(), c.headDim(), c.ropeBase()).to(device, ScalarType.Float));
        } catch (RuntimeException e) {
            owned.close();
            throw e;
        }
        this.cache = new TorchKvCache(owned, device, dtype, c.nLayer(), c.nKvHead(), c.headDim());
    }

    private Tensor upload(io.tessera.core.checkpoint.Tensor t) {
        return owned.keep(TorchTensors.upload(t, device, dtype));
    }

    /** Core's {@link io.tessera.core.model.Rope2d} as the official {@code freqs_cis}: [1 + grid², hd/2, 2] float32 (cos, sin). */
    static Tensor freqsCis2d(int grid, int headDim, float base) {
        io.tessera.core.model.Rope2d t = io.tessera.core.model.Rope2d.of(grid, headDim, base);
        return Tensor.create(t.interleaved(), t.positions(), t.pairs(), 2);
    }

    @Override
    public ModelSpec model() {
        return model;
    }

    @Override
    public void reset(int rows, int capacity) {
        cache.reset(rows, capacity);
    }

    @Override
    public void clearRow(int row) {
        cache.clearRow(row);
    }

    @Override
    public float[] forward(ForwardBatch batch) {
        validate(batch);
        final int b = batch.rows();
        final int t = batch.length();
        final int nh = c.nHead();
        final int kvh = c.nKvHead();
        final int hd = c.headDim();
        try (PointerScope _ = new PointerScope()) {
            Tensor h = embed(batch);                                                         // [B, T, dim]

            // 2. RoPE rows of each entry's position (0 = class or PAR transition token: zeros, so its q and k become 0).
            Tensor rope = torch.embedding(freqsCis.flatten(1, 2), TorchTensors.longs(batch.positions(), device, b, t))
                    .view(b, t, 1, hd / 2, 2);                                               // [B, T, 1, hd/2, 2]
            Tensor cos = rope.select(-1, 0);                                                 // [B, T, 1, hd/2]
            Tensor sin = rope.select(-1, 1);

            // 3. Where each entry writes its key/value, and which slots each entry sees.
            TorchKvCache.Pass pass = cache.pass(batch);

            for (int layer = 0; layer < blocks.size(); layer++) {
                Block blk = blocks.get(layer);
                // 4. Attention: RMSNorm → fused wqkv → q | k | v per head → 2-D RoPE on q, k.
                Tensor x = rmsNorm(h, blk.attentionNorm());
                TensorVector qkv = TorchOps.linear(x, blk.wqkv(), null)
                        .split_with_sizes(new long[] {(long) nh * hd, (long) kvh * hd, (long) kvh * hd}, -1);
                Tensor q = rotate(qkv.get(0).view(b, t, nh, hd), cos, sin);                  // [B, T, H, hd]
                Tensor k = rotate(qkv.get(1).view(b, t, kvh, hd), cos, sin);                 // [B, T, KVH, hd]
                Tensor v = qkv.get(2).view(b, t, kvh, hd);

                // 5. All k, v of the pass written at their slots, then attention over the visible slots (scale 1/√hd).
                Tensor attn = cache.attend(layer, pass, q, k, v);                            // [B, T, dim]
                h = h.add(TorchOps.linear(attn, blk.wo(), null));

                // 6. SwiGLU feed-forward: h += w2(silu(w1 x) ⊙ w3 x), x = RMSNorm_ffn(h).
                Tensor xf = rmsNorm(h, blk.ffnNorm());
                Tensor gate = torch.silu(TorchOps.linear(xf, blk.w1(), null));
                h = h.add(TorchOps.linear(gate.mul(TorchOps.linear(xf, blk.w3(), null)), blk.w2(), null));
            }

            // 7. Final norm and output head; logits in float32, copied to the host once.
            Tensor logits = TorchOps.linear(rmsNorm(h, norm), output, null);                 // [B, T, vocab]
            return TorchTensors.toFloats(logits);
        }
    }

    /**
     * 1. The family's embedding step, one lookup in the joined table: CLASS → cls_embedding[id] (id =
     * num_classes: the null class), TOKEN → tok_embeddings[id], QUERY (PAR) → transition token [id].
     *
     * @return h [B, T, dim] in the caller's scope
     */
    private Tensor embed(ForwardBatch batch) {
        int[] row = new int[batch.ids().length];
        for (int i = 0; i < row.length; i++) {
            int id = batch.ids()[i];
            row[i] = switch (batch.kinds()[i]) {
                case CLASS -> id;
                case TOKEN -> c.classTableRows() + id;
                case QUERY -> c.classTableRows() + c.vocabSize() + id;
            };
        }
        return torch.embedding(embeddings, TorchTensors.longs(row, device, batch.rows(), batch.length()));
    }

    /** RMSNorm as gpt.py: {@code (x.float() * rsqrt(mean(x²) + eps)).type_as(x) * weight}. */
    private Tensor rmsNorm(Tensor x, Tensor weight) {
        Tensor xf = x.to(ScalarType.Float);
        Tensor ms = xf.mul(xf).mean(new long[] {-1}, true, new ScalarTypeOptional());
        return xf.mul(ms.add(new Scalar((double) c.normEps())).rsqrt()).to(dtype).mul(weight);
    }

    /**
     * apply_rotary_emb: in float32, adjacent pairs (a, b) = (x[2m], x[2m+1]) become
     * (a·cos − b·sin, b·cos + a·sin); cast back to the compute dtype.
     */
    private Tensor rotate(Tensor x, Tensor cos, Tensor sin) {
        return rotateFloat(x, cos, sin).to(dtype);
    }

    /** The rotation of {@link #rotate} in float32: x [B, T, heads, hd], cos/sin broadcastable to [B, T, heads, hd/2]. */
    static Tensor rotateFloat(Tensor x, Tensor cos, Tensor sin) {
        long[] s = x.shape();                                                              // [B, T, heads, hd]
        Tensor pairs = x.to(ScalarType.Float).reshape(s[0], s[1], s[2], s[3] / 2, 2);
        Tensor a = pairs.select(-1, 0);
        Tensor bb = pairs.select(-1, 1);
        Tensor ra = a.mul(cos).sub(bb.mul(sin));
        Tensor rb = bb.mul(cos).add(a.mul(sin));
        return torch.stack(new TensorVector(ra, rb), -1).flatten(3, -1);
    }

    private void validate(ForwardBatch batch) {
        cache.check(batch);
        int positions = 1 + c.blockSize();
        for (int i = 0; i < batch.kinds().length; i++) {
            int id = batch.ids()[i];
            switch (batch.kinds()[i]) {
                case CLASS -> check(id >= 0 && id < c.classTableRows(), "class id", id, i, c.classTableRows());
                case TOKEN -> check(id >= 0 && id < c.vocabSize(), "token id", id, i, c.vocabSize());
                case QUERY -> {
                    if (queryRows == 0) {
                        throw new BackendException("torch: family '" + model.family() + "' has no QUERY entries (entry " + i + ")");
                    }
                    check(id >= 0 && id < queryRows, "transition token id", id, i, queryRows);
                }
            }
            check(batch.positions()[i] >= 0 && batch.positions()[i] < positions, "position", batch.positions()[i], i, positions);
        }
    }

    private static void check(boolean ok, String what, int value, int entry, int bound) {
        if (!ok) {
            throw new BackendException("torch: " + what + " " + value + " of entry " + entry + " is outside [0, " + bound + ")");
        }
    }

    @Override
    public void close() {
        cache.clear();
        owned.close();
    }

    @Override
    public String toString() {
        return "TorchLlamaGen[" + model.family() + ", " + options.describe() + ", dim=" + c.dim() + ", layers=" + c.nLayer() + "]";
    }
}
