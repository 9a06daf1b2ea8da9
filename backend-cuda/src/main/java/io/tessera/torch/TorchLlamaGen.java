package io.tessera.torch;

import io.tessera.core.BackendException;
import io.tessera.core.model.LlamaGenConfig;
import io.tessera.core.model.LlamaGenModel;
import io.tessera.core.model.LlamaGenWeights;
import io.tessera.core.spi.EntryKind;
import io.tessera.core.spi.ForwardBatch;
import io.tessera.core.spi.GptSession;
import io.tessera.core.spi.ModelSpec;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorIndex;
import org.bytedeco.pytorch.TensorIndexVector;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The LlamaGen c2i GPT ({@code autoregressive/models/gpt.py}) on libtorch, with a KV cache of
 * caller-chosen slots. Weights are uploaded once; each {@link #forward} runs in its own
 * {@link PointerScope} and ends with one device → host copy of the logits.
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

    private final LlamaGenModel model;
    private final LlamaGenConfig c;
    private final TorchOptions options;
    private final Device device;
    private final ScalarType dtype;
    private final TorchTensors owned = new TorchTensors();

    private final Tensor clsEmbedding;   // [num_classes (+1 null), dim]
    private final Tensor tokEmbeddings;  // [vocab, dim]
    private final List<Block> blocks = new ArrayList<>();
    private final Tensor norm;           // [dim]
    private final Tensor output;         // [vocab, dim]
    private final Tensor freqsCis;       // [1 + grid², head_dim/2, 2] float32: (cos, sin); row 0 = class position (zeros)

    private final List<Tensor> cacheK = new ArrayList<>(); // per layer [rows, n_kv_head, capacity, head_dim]
    private final List<Tensor> cacheV = new ArrayList<>();
    private int rows;
    private int capacity;

    TorchLlamaGen(LlamaGenModel model, TorchOptions options) {
        this.model = model;
        this.c = model.config();
        this.options = options;
        this.device = options.device();
        this.dtype = options.gptDtype();
        options.applyThreads();
        LlamaGenWeights w = model.weights();
        try (PointerScope _ = new PointerScope()) {
            clsEmbedding = upload(w.clsEmbedding());
            tokEmbeddings = upload(w.tokEmbeddings());
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
    }

    private Tensor upload(io.tessera.core.checkpoint.Tensor t) {
        return owned.keep(TorchTensors.upload(t, device, dtype));
    }

    /**
     * {@code precompute_freqs_cis_2d(grid, head_dim, base, cls_token_num=1)} with the same float32
     * ops: θ_j = 1 / base^(2j / (hd/2)) for j &lt; hd/4; pair m &lt; hd/4 rotates by y·θ_m, pair m ≥ hd/4
     * by x·θ_(m−hd/4); cell k = (y, x) = (k / grid, k % grid) is row 1 + k; row 0 (class) is zeros.
     */
    static Tensor freqsCis2d(int grid, int headDim, float base) {
        int half = headDim / 2;
        TensorOptions i64 = new TensorOptions(ScalarType.Long);
        Tensor exponents = torch.arange(new Scalar(0L), new Scalar((long) half), new Scalar(2L), i64)
                .narrow(0, 0, half / 2).to(ScalarType.Float).div(new Scalar((long) half));
        Tensor freqs = torch.pow(new Scalar((double) base), exponents).reciprocal();              // [hd/4]
        Tensor t = torch.arange(new Scalar((long) grid), i64);
        Tensor angles = torch.outer(t, freqs);                                                     // [grid, hd/4]
        Tensor byRow = angles.unsqueeze(1).expand(grid, grid, half / 2);                          // y·θ
        Tensor byCol = angles.unsqueeze(0).expand(grid, grid, half / 2);                          // x·θ
        Tensor grid2d = torch.cat(new TensorVector(byRow, byCol), -1);                            // [grid, grid, hd/2]
        Tensor cache = torch.stack(new TensorVector(grid2d.cos(), grid2d.sin()), -1).flatten(0, 1); // [grid², hd/2, 2]
        Tensor cls = torch.zeros(new long[] {1, half, 2}, new TensorOptions(ScalarType.Float));
        return torch.cat(new TensorVector(cls, cache), 0).contiguous();
    }

    @Override
    public ModelSpec model() {
        return model;
    }

    @Override
    public void reset(int rows, int capacity) {
        if (rows <= 0 || capacity <= 0) {
            throw new BackendException("torch: reset needs rows > 0 and capacity > 0, got " + rows + ", " + capacity);
        }
        freeCache();
        try (PointerScope _ = new PointerScope()) {
            TensorOptions opts = new TensorOptions(device).dtype(new ScalarTypeOptional(dtype));
            long[] shape = {rows, c.nKvHead(), capacity, c.headDim()};
            for (int i = 0; i < c.nLayer(); i++) {
                cacheK.add(owned.keep(torch.zeros(shape, opts)));
                cacheV.add(owned.keep(torch.zeros(shape, opts)));
            }
        }
        this.rows = rows;
        this.capacity = capacity;
    }

    private void freeCache() {
        cacheK.forEach(owned::free);
        cacheV.forEach(owned::free);
        cacheK.clear();
        cacheV.clear();
        rows = 0;
        capacity = 0;
    }

    @Override
    public float[] forward(ForwardBatch batch) {
        validate(batch);
        final int b = batch.rows();
        final int t = batch.length();
        final int nh = c.nHead();
        final int kvh = c.nKvHead();
        final int hd = c.headDim();
        final int dim = c.dim();
        try (PointerScope _ = new PointerScope()) {
            // 1. Embeddings: class entries read cls_embedding[id] (id = num_classes: the null class),
            //    token entries tok_embeddings[id].                                        h: [B, T, dim]
            int n = b * t;
            int[] clsIds = new int[n];
            int[] tokIds = new int[n];
            boolean[] isClass = new boolean[n];
            for (int i = 0; i < n; i++) {
                isClass[i] = batch.kinds()[i] == EntryKind.CLASS;
                (isClass[i] ? clsIds : tokIds)[i] = batch.ids()[i];
            }
            Tensor h = torch.where(TorchTensors.bools(isClass, device, b, t, 1),
                    torch.embedding(clsEmbedding, TorchTensors.longs(clsIds, device, b, t)),
                    torch.embedding(tokEmbeddings, TorchTensors.longs(tokIds, device, b, t)));

            // 2. RoPE rows of each entry's position (0 = class: zeros, so its q and k become 0).
            Tensor rope = torch.embedding(freqsCis.flatten(1, 2), TorchTensors.longs(batch.positions(), device, b, t))
                    .view(b, t, 1, hd / 2, 2);                                               // [B, T, 1, hd/2, 2]
            Tensor cos = rope.select(-1, 0);                                                 // [B, T, 1, hd/2]
            Tensor sin = rope.select(-1, 1);

            // 3. Where each entry writes its key/value, and which slots each entry sees.
            int[] rowOf = new int[n];
            for (int i = 0; i < n; i++) {
                rowOf[i] = i / t;
            }
            TensorIndexVector writeAt = new TensorIndexVector(
                    new TensorIndex(TorchTensors.longs(rowOf, device, b, t)),
                    new TensorIndex(TorchTensors.longs(batch.slots(), device, b, t)));
            Tensor mask = TorchTensors.bools(batch.visible(), device, b, 1, t, capacity);      // [B, 1, T, S]

            for (int layer = 0; layer < blocks.size(); layer++) {
                Block blk = blocks.get(layer);
                // 4. Attention: RMSNorm → fused wqkv → q | k | v per head → 2-D RoPE on q, k.
                Tensor x = rmsNorm(h, blk.attentionNorm());
                TensorVector qkv = linear(x, blk.wqkv()).split_with_sizes(new long[] {(long) nh * hd, (long) kvh * hd, (long) kvh * hd}, -1);
                Tensor q = rotate(qkv.get(0).view(b, t, nh, hd), cos, sin);                  // [B, T, H, hd]
                Tensor k = rotate(qkv.get(1).view(b, t, kvh, hd), cos, sin);                 // [B, T, KVH, hd]
                Tensor v = qkv.get(2).view(b, t, kvh, hd);

                // 5. Write every entry's k, v at its slot first: cache[row, :, slot, :] = k[row, t].
                Tensor ck = cacheK.get(layer);                                               // [B, KVH, S, hd]
                Tensor cv = cacheV.get(layer);
                ck.transpose(1, 2).index_put_(writeAt, k);
                cv.transpose(1, 2).index_put_(writeAt, v);

                // 6. Then attend over all slots the mask leaves visible (unwritten ones are zeros:
                //    score 0, value 0), scale 1/√hd; GQA repeats each kv head n_head/n_kv_head times.
                Tensor keys = ck;
                Tensor values = cv;
                if (kvh != nh) {
                    keys = ck.repeat_interleave(nh / kvh, new LongOptional(1), new LongOptional());
                    values = cv.repeat_interleave(nh / kvh, new LongOptional(1), new LongOptional());
                }
                Tensor attn = torch.scaled_dot_product_attention(q.transpose(1, 2), keys, values,
                        new TensorOptional(mask), 0.0, false, new DoubleOptional(), false);  // [B, H, T, hd]
                h = h.add(linear(attn.transpose(1, 2).reshape(b, t, dim), blk.wo()));

                // 7. SwiGLU feed-forward: h += w2(silu(w1 x) ⊙ w3 x), x = RMSNorm_ffn(h).
                Tensor xf = rmsNorm(h, blk.ffnNorm());
                Tensor gate = torch.silu(linear(xf, blk.w1()));
                h = h.add(linear(gate.mul(linear(xf, blk.w3())), blk.w2()));
            }

            // 8. Final norm and output head; logits in float32, copied to the host once.
            Tensor logits = linear(rmsNorm(h, norm), output);                         // [B, T, vocab]
            return TorchTensors.toFloats(logits);
        }
    }

    /** Below this many rows per linear layer the CPU path uses matrix–vector products. */
    private static final int GEMV_ROWS = 4;

    /**
     * {@code x · wᵀ} for x [B, T, in], w [out, in]. On the CPU a decode step has only B·T ≤ 4 rows,
     * where libtorch's gemm (OpenBLAS) is several times slower than one gemv per row (it packs the
     * whole weight first); the result is the same product, summed in a different order.
     */
    private Tensor linear(Tensor x, Tensor w) {
        long rowsIn = x.numel() / x.size(-1);
        if (device.is_cuda() || rowsIn > GEMV_ROWS) {
            return torch.linear(x, w);
        }
        Tensor flat = x.reshape(rowsIn, x.size(-1));
        TensorVector out = new TensorVector();
        for (long r = 0; r < rowsIn; r++) {
            out.push_back(torch.mv(w, flat.select(0, r)));
        }
        long[] shape = x.shape();
        shape[shape.length - 1] = w.size(0);
        return torch.stack(out, 0).view(shape);
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
        long[] s = x.shape();                                                              // [B, T, heads, hd]
        Tensor pairs = x.to(ScalarType.Float).reshape(s[0], s[1], s[2], s[3] / 2, 2);
        Tensor a = pairs.select(-1, 0);
        Tensor bb = pairs.select(-1, 1);
        Tensor ra = a.mul(cos).sub(bb.mul(sin));
        Tensor rb = bb.mul(cos).add(a.mul(sin));
        return torch.stack(new TensorVector(ra, rb), -1).flatten(3, -1).to(dtype);
    }

    private void validate(ForwardBatch batch) {
        if (capacity == 0) {
            throw new BackendException("torch: forward without a cache (call reset(rows, capacity) first; a closed session has none)");
        }
        if (batch.rows() != rows) {
            throw new BackendException("torch: forward has " + batch.rows() + " rows, the cache was reset for " + rows);
        }
        if (batch.length() <= 0) {
            throw new BackendException("torch: forward needs at least one entry per row");
        }
        if (batch.capacity() != capacity) {
            throw new BackendException("torch: the visibility mask covers " + batch.capacity() + " slots, the cache has " + capacity);
        }
        int positions = 1 + c.blockSize();
        for (int i = 0; i < batch.kinds().length; i++) {
            int id = batch.ids()[i];
            switch (batch.kinds()[i]) {
                case CLASS -> check(id >= 0 && id < c.classTableRows(), "class id", id, i, c.classTableRows());
                case TOKEN -> check(id >= 0 && id < c.vocabSize(), "token id", id, i, c.vocabSize());
                case QUERY -> throw new BackendException("torch: family 'llamagen' has no QUERY entries (entry " + i + ")");
            }
            check(batch.positions()[i] >= 0 && batch.positions()[i] < positions, "position", batch.positions()[i], i, positions);
            check(batch.slots()[i] >= 0 && batch.slots()[i] < capacity, "slot", batch.slots()[i], i, capacity);
        }
    }

    private static void check(boolean ok, String what, int value, int entry, int bound) {
        if (!ok) {
            throw new BackendException("torch: " + what + " " + value + " of entry " + entry + " is outside [0, " + bound + ")");
        }
    }

    @Override
    public void close() {
        cacheK.clear();
        cacheV.clear();
        owned.close();
        rows = 0;
        capacity = 0;
    }

    @Override
    public String toString() {
        return "TorchLlamaGen[" + options.describe() + ", dim=" + c.dim() + ", layers=" + c.nLayer() + "]";
    }
}
