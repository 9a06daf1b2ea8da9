package io.tessera.cpu;

import io.tessera.core.BackendException;
import io.tessera.core.checkpoint.Tensor;
import io.tessera.core.model.LlamaGenConfig;
import io.tessera.core.model.LlamaGenModel;
import io.tessera.core.model.LlamaGenWeights;
import io.tessera.core.model.ParModel;
import io.tessera.core.spi.EntryKind;
import io.tessera.core.spi.ForwardBatch;
import io.tessera.core.spi.GptSession;
import io.tessera.core.spi.ModelSpec;
import java.lang.foreign.Arena;

/**
 * The LlamaGen c2i GPT ({@code autoregressive/models/gpt.py}) on the CPU: RMSNorm, fused wqkv,
 * grouped-query attention with 2-D RoPE over a zero-filled KV cache, SwiGLU, no biases.
 * Linear weights are repacked once into {@link Panels} (embedding tables stay in the checkpoint's memory
 * segments); activations are float32 on the heap.
 *
 * <p>Also runs PAR, the same GPT whose only difference is the embedding step: QUERY entries embed the
 * transition tokens {@code spe_tok_embeddings} (and sit at position 0, the zero RoPE row). RandAR runs on it
 * through {@link RandarForward}, which supplies its rotated position-instruction table as the QUERY rows.
 */
final class LlamaGenForward implements GptSession {

    /** One transformer block, its linears packed as {@link Panels}. */
    private record Block(
            float[] attentionNorm, // [dim]
            Panels wqkv,           // [(n_head + 2·n_kv_head)·head_dim, dim]
            Panels wo,             // [dim, dim]
            float[] ffnNorm,       // [dim]
            Panels w1,             // [hidden, dim]  gate
            Panels w3,             // [hidden, dim]  up
            Panels w2) {           // [dim, hidden]  down
    }

    private final ModelSpec model;
    private final LlamaGenConfig config;
    private final Kernels kernels;
    private final GptKernels gpt;
    private final Parallel pool;
    /** Holds the packed weights; closed with the session. */
    private final Arena arena;
    private final RopeTable rope;

    private final Matrix clsEmbedding;  // [num_classes + 1, dim]  (row num_classes = null class)
    private final Matrix tokEmbeddings; // [vocab, dim]
    private final Matrix queries;       // [n − 1, dim] PAR transition tokens, or null (llamagen: no QUERY entries)
    private final Block[] blocks;       // n_layer
    private final float[] norm;         // [dim]
    private final Panels output;        // [vocab, dim]

    private final KvCache cache;  // n_layer layers of n_kv_head · head_dim per slot

    LlamaGenForward(LlamaGenModel model, CpuOptions options) {
        this(model, model.weights(), null, options);
    }

    /** PAR: the GPT plus the transition-token table. */
    LlamaGenForward(ParModel model, CpuOptions options) {
        this(model, model.weights().gpt(), Matrix.of(model.weights().transition()), options);
    }

    /** The GPT whose QUERY entry of id j embeds row j of {@code queries} (null: no QUERY entries). */
    LlamaGenForward(ModelSpec model, LlamaGenWeights w, Matrix queries, CpuOptions options) {
        this.model = model;
        this.config = w.config();
        this.queries = queries;
        this.kernels = Kernels.of(options.vectorKernels());
        this.gpt = GptKernels.of(options.vectorKernels());
        this.pool = new Parallel(options.threads(), "cpu-vector-gpt");
        this.arena = Arena.ofShared();
        this.rope = new RopeTable(config.grid(), config.headDim(), config.ropeBase());
        this.clsEmbedding = Matrix.of(w.clsEmbedding());
        this.tokEmbeddings = Matrix.of(w.tokEmbeddings());
        this.blocks = w.layers().stream().map(l -> new Block(l.attentionNorm().toFloatArray(), pack(l.wqkv()),
                pack(l.wo()), l.ffnNorm().toFloatArray(), pack(l.w1()), pack(l.w3()),
                pack(l.w2())))
                .toArray(Block[]::new);
        this.norm = w.norm().toFloatArray();
        this.output = pack(w.output());
        this.cache = new KvCache(config.nLayer(), config.nKvHead() * config.headDim(), config.headDim(), options.kvBf16());
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
        final int dim = config.dim();
        final int nHead = config.nHead();
        final int nKv = config.nKvHead();
        final int hd = config.headDim();
        final int kvDim = nKv * hd;
        final int qkvDim = (nHead + 2 * nKv) * hd;
        final int hidden = config.ffnHidden();
        final int vocab = config.vocabSize();
        final int n = batch.rows() * batch.length(); // entries in this pass

        // 1. Embed every entry.
        float[] h = embed(batch);                     // [n, dim] residual stream

        float[] x = new float[n * dim];               // [n, dim] normed input of a sub-layer
        float[] qkv = new float[n * qkvDim];          // [n, q | k | v]
        float[] attn = new float[n * dim];            // [n, n_head · head_dim]
        float[] proj = new float[n * dim];            // [n, dim] sub-layer output before the residual add
        float[] gate = new float[n * hidden];         // [n, hidden]
        float[] up = new float[n * hidden];           // [n, hidden]

        for (int layer = 0; layer < blocks.length; layer++) {
            Block b = blocks[layer];

            // 2. x = RMSNorm(h) · attention_norm
            rmsNormRows(h, b.attentionNorm(), x, n, dim);

            // 3. q | k | v = x · wqkvᵀ
            matmul(b.wqkv(), x, n, qkv);

            // 4. RoPE on q and k at each entry's position (position 0 = class: q = k = 0).
            for (int e = 0; e < n; e++) {
                int t = rope.offset(batch.positions()[e]);
                Kernels.rope(qkv, e * qkvDim, nHead, hd, rope.cos, rope.sin, t);
                Kernels.rope(qkv, e * qkvDim + nHead * hd, nKv, hd, rope.cos, rope.sin, t);
            }

            // 5. Write every entry's k and v at its slot before any attention.
            for (int e = 0; e < n; e++) {
                cache.write(batch, e, layer, qkv, e * qkvDim + nHead * hd, e * qkvDim + nHead * hd + kvDim);
            }

            // 6. attn = softmax(q·kᵀ/√hd over visible slots) · v, per entry and query head.
            CacheAttention.attend(pool, gpt, batch, layer, blocks.length, qkv, qkvDim, nHead, nKv, hd, cache, attn);

            // 7. h += attn · woᵀ
            matmul(b.wo(), attn, n, proj);
            addInPlace(h, proj);

            // 8. h += w2(silu(w1 x) ⊙ w3 x), x = RMSNorm(h) · ffn_norm
            rmsNormRows(h, b.ffnNorm(), x, n, dim);
            pool.range(b.w1().panels(), (from, to) -> {
                gpt.matmul(b.w1(), from, to, x, n, gate);
                gpt.matmul(b.w3(), from, to, x, n, up);
                int o0 = Panels.firstOutput(from);
                int o1 = b.w1().endOutput(to);
                for (int e = 0; e < n; e++) {
                    kernels.swiGlu(gate, up, e * hidden + o0, e * hidden + o1);
                }
            });
            matmul(b.w2(), gate, n, proj);
            addInPlace(h, proj);
        }

        // 9. logits = RMSNorm(h) · norm · outputᵀ   [n, vocab]
        rmsNormRows(h, norm, x, n, dim);
        float[] logits = new float[n * vocab];
        matmul(output, x, n, logits);
        return logits;
    }

    /** The family's embedding step: class row (CLASS), token row (TOKEN) or transition-token row (QUERY, PAR). */
    private float[] embed(ForwardBatch batch) {
        int n = batch.rows() * batch.length();
        float[] h = new float[n * config.dim()];
        for (int e = 0; e < n; e++) {
            table(batch.kinds()[e]).rowInto(batch.ids()[e], h, e * config.dim());
        }
        return h;
    }

    private Matrix table(EntryKind kind) {
        return switch (kind) {
            case CLASS -> clsEmbedding;
            case TOKEN -> tokEmbeddings;
            case QUERY -> queries;
        };
    }

    /** out[e] = RMSNorm(in[e]) · w for each of the n rows. */
    private void rmsNormRows(float[] in, float[] w, float[] out, int n, int dim) {
        for (int e = 0; e < n; e++) {
            kernels.rmsNorm(in, e * dim, dim, w, config.normEps(), out, e * dim);
        }
    }

    /** out [n, w.outputs] = x [n, w.inputs] · wᵀ, split over panels of outputs. */
    private void matmul(Panels w, float[] x, int n, float[] out) {
        pool.range(w.panels(), (from, to) -> gpt.matmul(w, from, to, x, n, out));
    }

    private static void addInPlace(float[] h, float[] d) {
        for (int i = 0; i < h.length; i++) {
            h[i] += d[i];
        }
    }

    private void validate(ForwardBatch batch) {
        cache.check(batch);
        int n = batch.rows() * batch.length();
        int capacity = cache.capacity();
        for (int e = 0; e < n; e++) {
            EntryKind kind = batch.kinds()[e];
            int id = batch.ids()[e];
            if (kind == EntryKind.QUERY && queries == null) {
                throw new BackendException("cpu-vector: llamagen has no QUERY entries (entry " + e + ")");
            }
            int limit = table(kind).rows();
            if (id < 0 || id >= limit) {
                throw new BackendException("cpu-vector: entry " + e + " " + kind + " id " + id + " out of range [0, " + limit + ")");
            }
            int p = batch.positions()[e];
            if (p < 0 || p >= rope.positions) {
                throw new BackendException("cpu-vector: entry " + e + " position " + p + " out of range [0, " + rope.positions + ")");
            }
            int s = batch.slots()[e];
            if (s < 0 || s >= capacity) {
                throw new BackendException("cpu-vector: entry " + e + " slot " + s + " out of range [0, " + capacity + ")");
            }
        }
    }

    /** A linear's weight packed for the GEMM, into the session's memory. */
    private Panels pack(Tensor t) {
        return Panels.of(t, pool, arena);
    }

    @Override
    public void close() {
        pool.close();
        cache.close();
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }
}
