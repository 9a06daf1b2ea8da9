package io.tessera.cpu;

import io.tessera.core.BackendException;
import io.tessera.core.checkpoint.Tensor;
import io.tessera.core.model.LpdConfig;
import io.tessera.core.model.LpdModel;
import io.tessera.core.model.LpdWeights;
import io.tessera.core.spi.EntryKind;
import io.tessera.core.spi.ForwardBatch;
import io.tessera.core.spi.GptSession;
import io.tessera.core.spi.ModelSpec;
import java.lang.foreign.Arena;

/**
 * LPD's ViT ({@code models/lpd.py}, {@code models/block.py}) with its inference KV cache on the CPU:
 * embeddings + learned absolute positions → z_proj_ln, then pre-norm blocks (LayerNorm, qkv with bias,
 * multi-head attention without RoPE over the zero-filled cache, proj with bias, fc1 → exact GELU → fc2
 * with biases), final LayerNorm and a bias-free head. All LayerNorms use the config's eps (1e-6).
 */
final class LpdForward implements GptSession {

    /** One ViT block, its linears packed as {@link Panels}. */
    private record Block(
            float[] norm1W, float[] norm1B, // [dim]
            Panels qkv,                     // [3·dim, dim]  q | k | v
            float[] qkvB,                   // [3·dim]
            Panels proj,                    // [dim, dim]
            float[] projB,                  // [dim]
            float[] norm2W, float[] norm2B, // [dim]
            Panels fc1,                     // [hidden, dim]
            float[] fc1B,                   // [hidden]
            Panels fc2,                     // [dim, hidden]
            float[] fc2B) {                 // [dim]
    }

    private final LpdModel model;
    private final LpdConfig config;
    private final Kernels kernels;
    private final GptKernels gpt;
    private final Parallel pool;
    /** Holds the packed weights; closed with the session. */
    private final Arena arena;

    private final Matrix classEmb;    // [class_num, dim]
    private final Matrix tokenEmb;    // [vocab, dim]
    private final float[] fakeLatent; // [dim]  CLASS id = class_num
    private final float[] maskToken;  // [dim]  QUERY id 0
    private final float[] posEmbed;   // [N + 1, dim]
    private final float[] zLnW;       // [dim]
    private final float[] zLnB;       // [dim]
    private final Block[] blocks;     // depth
    private final float[] normW;      // [dim]
    private final float[] normB;      // [dim]
    private final Panels head;        // [vocab, dim]

    private final KvCache cache;  // depth layers of dim per slot

    LpdForward(LpdModel model, CpuOptions options) {
        this.model = model;
        this.config = model.config();
        LpdWeights w = model.weights();
        this.kernels = Kernels.of(options.vectorKernels());
        this.gpt = GptKernels.of(options.vectorKernels());
        this.pool = new Parallel(options.threads(), "cpu-vector-lpd");
        this.arena = Arena.ofShared();
        this.classEmb = Matrix.of(w.classEmb());
        this.tokenEmb = Matrix.of(w.tokenEmb());
        this.fakeLatent = w.fakeLatent().toFloatArray();
        this.maskToken = w.maskToken().toFloatArray();
        this.posEmbed = w.posEmbed().toFloatArray();
        this.zLnW = w.zProjLnWeight().toFloatArray();
        this.zLnB = w.zProjLnBias().toFloatArray();
        this.blocks = w.blocks().stream().map(b -> new Block(b.norm1Weight().toFloatArray(), b.norm1Bias().toFloatArray(),
                pack(b.qkvWeight()), b.qkvBias().toFloatArray(), pack(b.projWeight()), b.projBias().toFloatArray(),
                b.norm2Weight().toFloatArray(), b.norm2Bias().toFloatArray(), pack(b.fc1Weight()), b.fc1Bias().toFloatArray(),
                pack(b.fc2Weight()), b.fc2Bias().toFloatArray())).toArray(Block[]::new);
        this.normW = w.normWeight().toFloatArray();
        this.normB = w.normBias().toFloatArray();
        this.head = pack(w.head());
        this.cache = new KvCache(config.depth(), config.dim(), config.dim() / config.numHeads(), options.kvBf16());
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
        final int hidden = config.mlpHidden();
        final int n = batch.rows() * batch.length();
        final float eps = config.normEps();

        // 1. h = z_proj_ln(table row + pos_embed[position])
        float[] h = embed(batch);                     // [n, dim] residual stream

        float[] x = new float[n * dim];               // [n, dim] normed input of a sub-layer
        float[] qkv = new float[n * 3 * dim];         // [n, q | k | v]
        float[] attn = new float[n * dim];            // [n, heads · head_dim]
        float[] proj = new float[n * dim];            // [n, dim]
        float[] mlp = new float[n * hidden];          // [n, hidden]

        for (int layer = 0; layer < blocks.length; layer++) {
            Block b = blocks[layer];

            // 2. q | k | v = norm1(h) · qkvᵀ + b
            layerNormRows(h, b.norm1W(), b.norm1B(), x, n, dim, eps);
            linear(b.qkv(), b.qkvB(), x, n, qkv);

            // 3. every entry's k, v at its slot, then attention over the visible slots
            for (int e = 0; e < n; e++) {
                cache.write(batch, e, layer, qkv, e * 3 * dim + dim, e * 3 * dim + 2 * dim);
            }
            CacheAttention.attend(pool, gpt, batch, layer, blocks.length, qkv, 3 * dim, config.numHeads(), config.numHeads(),
                    config.headDim(), cache, attn);

            // 4. h += proj(attn)
            linear(b.proj(), b.projB(), attn, n, proj);
            addInPlace(h, proj);

            // 5. h += fc2(gelu(fc1(norm2(h))))
            layerNormRows(h, b.norm2W(), b.norm2B(), x, n, dim, eps);
            linear(b.fc1(), b.fc1B(), x, n, mlp);
            pool.range(n * hidden, (from, to) -> kernels.gelu(mlp, from, to));
            linear(b.fc2(), b.fc2B(), mlp, n, proj);
            addInPlace(h, proj);
        }

        // 6. logits = head(norm(h))   [n, vocab]
        layerNormRows(h, normW, normB, x, n, dim, eps);
        float[] logits = new float[n * config.vocabSize()];
        pool.range(head.panels(), (from, to) -> gpt.matmul(head, from, to, x, n, logits));
        return logits;
    }

    /** The embedding step: class row, fake_latent, token row or mask_token, plus the position row, then z_proj_ln. */
    private float[] embed(ForwardBatch batch) {
        int dim = config.dim();
        int n = batch.rows() * batch.length();
        float[] e = new float[n * dim];
        float[] h = new float[n * dim];
        for (int i = 0; i < n; i++) {
            int id = batch.ids()[i];
            switch (batch.kinds()[i]) {
                case CLASS -> {
                    if (id == config.nullClass()) {
                        System.arraycopy(fakeLatent, 0, e, i * dim, dim);
                    } else {
                        classEmb.rowInto(id, e, i * dim);
                    }
                }
                case TOKEN -> tokenEmb.rowInto(id, e, i * dim);
                case QUERY -> System.arraycopy(maskToken, 0, e, i * dim, dim);
            }
            int p = batch.positions()[i] * dim;
            for (int d = 0; d < dim; d++) {
                e[i * dim + d] += posEmbed[p + d];
            }
            kernels.layerNorm(e, i * dim, dim, zLnW, zLnB, config.normEps(), h, i * dim);
        }
        return h;
    }

    private void layerNormRows(float[] in, float[] w, float[] b, float[] out, int n, int dim, float eps) {
        for (int e = 0; e < n; e++) {
            kernels.layerNorm(in, e * dim, dim, w, b, eps, out, e * dim);
        }
    }

    /** out [n, w.outputs] = x · wᵀ + bias, split over panels of outputs. */
    private void linear(Panels w, float[] bias, float[] x, int n, float[] out) {
        pool.range(w.panels(), (from, to) -> gpt.matmul(w, from, to, x, n, out));
        for (int e = 0; e < n; e++) {
            kernels.addBias(out, e * w.outputs(), bias, w.outputs());
        }
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
            int limit = switch (kind) {
                case CLASS -> config.numClasses() + 1;
                case TOKEN -> config.vocabSize();
                case QUERY -> 1;
            };
            if (id < 0 || id >= limit) {
                throw new BackendException("cpu-vector: lpd entry " + e + " " + kind + " id " + id + " out of range [0, " + limit + ")");
            }
            int p = batch.positions()[e];
            if (p < 0 || p > config.seqLen()) {
                throw new BackendException("cpu-vector: lpd entry " + e + " position " + p + " out of range [0, " + config.seqLen() + "]");
            }
            int s = batch.slots()[e];
            if (s < 0 || s >= capacity) {
                throw new BackendException("cpu-vector: lpd entry " + e + " slot " + s + " out of range [0, " + capacity + ")");
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
