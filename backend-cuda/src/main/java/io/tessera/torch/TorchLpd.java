package io.tessera.torch;

import io.tessera.core.BackendException;
import io.tessera.core.model.LpdConfig;
import io.tessera.core.model.LpdModel;
import io.tessera.core.model.LpdWeights;
import io.tessera.core.spi.ForwardBatch;
import io.tessera.core.spi.GptSession;
import io.tessera.core.spi.ModelSpec;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * LPD's ViT decoder (mit-han-lab/lpd {@code models/lpd.py}, {@code models/block.py}) on libtorch with its
 * inference KV cache ({@code Attention.forward_inference}): embeddings + learned absolute positions →
 * {@code z_proj_ln}, then pre-norm blocks (LayerNorm, qkv with bias, plain multi-head attention without RoPE
 * over the zero-filled cache, proj with bias, fc1 → exact GELU → fc2 with biases), a final LayerNorm and a
 * bias-free head. Every LayerNorm uses the config's eps (1e-6) and runs in float32. Weights are uploaded once;
 * each {@link #forward} runs in its own {@link PointerScope} and ends with one device → host copy.
 */
final class TorchLpd implements GptSession {

    /** One ViT block on the device. */
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

    private final LpdModel model;
    private final LpdConfig c;
    private final TorchOptions options;
    private final Device device;
    private final ScalarType dtype;
    private final TorchTensors owned = new TorchTensors();

    private final Tensor embeddings;  // [class_num + 1 + vocab + 1, dim]: class_emb | fake_latent | token_emb | mask_token
    private final Tensor posEmbed;    // [N + 1, dim]  row 0 = class, row 1 + k = cell k
    private final Tensor zLnW;        // [dim]
    private final Tensor zLnB;        // [dim]
    private final List<Block> blocks = new ArrayList<>();
    private final Tensor normW;       // [dim]
    private final Tensor normB;       // [dim]
    private final Tensor head;        // [vocab, dim]  no bias
    private final TorchKvCache cache; // per block [rows, heads, capacity, head_dim]

    TorchLpd(LpdModel model, TorchOptions options) {
        this.model = model;
        this.c = model.config();
        this.options = options;
        this.device = options.device();
        this.dtype = options.gptDtype();
        options.applyThreads();
        LpdWeights w = model.weights();
        try (PointerScope _ = new PointerScope()) {
            embeddings = owned.keep(torch.cat(new TensorVector(
                    TorchTensors.upload(w.classEmb(), device, dtype),
                    TorchTensors.upload(w.fakeLatent(), device, dtype),
                    TorchTensors.upload(w.tokenEmb(), device, dtype),
                    TorchTensors.upload(w.maskToken(), device, dtype).view(1, c.dim())), 0));
            posEmbed = owned.keep(TorchTensors.upload(w.posEmbed(), device, dtype).view(c.seqLen() + 1L, c.dim()));
            zLnW = upload(w.zProjLnWeight());
            zLnB = upload(w.zProjLnBias());
            for (LpdWeights.Block b : w.blocks()) {
                blocks.add(new Block(upload(b.norm1Weight()), upload(b.norm1Bias()), upload(b.qkvWeight()), upload(b.qkvBias()),
                        upload(b.projWeight()), upload(b.projBias()), upload(b.norm2Weight()), upload(b.norm2Bias()),
                        upload(b.fc1Weight()), upload(b.fc1Bias()), upload(b.fc2Weight()), upload(b.fc2Bias())));
            }
            normW = upload(w.normWeight());
            normB = upload(w.normBias());
            head = upload(w.head());
        } catch (RuntimeException e) {
            owned.close();
            throw e;
        }
        this.cache = new TorchKvCache(owned, device, dtype, c.depth(), c.numHeads(), c.headDim());
    }

    private Tensor upload(io.tessera.core.checkpoint.Tensor t) {
        return owned.keep(TorchTensors.upload(t, device, dtype));
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
        final int nh = c.numHeads();
        final int hd = c.headDim();
        try (PointerScope _ = new PointerScope()) {
            // 1. Embedding: table row (class, fake_latent, token or mask_token) + pos_embed[position], then z_proj_ln.
            Tensor e = torch.embedding(embeddings, TorchTensors.longs(tableRows(batch), device, b, t))
                    .add(torch.embedding(posEmbed, TorchTensors.longs(batch.positions(), device, b, t)));   // [B, T, dim]
            Tensor h = layerNorm(e, zLnW, zLnB);                                                           // [B, T, dim]

            // 2. Where each entry writes its key/value, and which slots each entry sees.
            TorchKvCache.Pass pass = cache.pass(batch);

            for (int layer = 0; layer < blocks.size(); layer++) {
                Block blk = blocks.get(layer);
                // 3. Attention: norm1 → qkv (+bias) → q | k | v, each split into heads in order (no RoPE).
                Tensor qkv = TorchOps.linear(layerNorm(h, blk.norm1W(), blk.norm1B()), blk.qkvW(), blk.qkvB())
                        .view(b, t, 3, nh, hd);                                                            // [B, T, 3, H, hd]
                Tensor q = qkv.select(2, 0);                                                               // [B, T, H, hd]
                Tensor k = qkv.select(2, 1);
                Tensor v = qkv.select(2, 2);

                // 4. All k, v of the pass written at their slots, then attention over the visible slots (scale 1/√hd).
                Tensor attn = cache.attend(layer, pass, q, k, v);                                          // [B, T, dim]
                h = h.add(TorchOps.linear(attn, blk.projW(), blk.projB()));

                // 5. MLP: h += fc2(gelu(fc1(norm2(h)))), exact erf GELU (nn.GELU(approximate='none')).
                Tensor x = layerNorm(h, blk.norm2W(), blk.norm2B());
                Tensor mid = torch.gelu(TorchOps.linear(x, blk.fc1W(), blk.fc1B()), "none");               // [B, T, hidden]
                h = h.add(TorchOps.linear(mid, blk.fc2W(), blk.fc2B()));
            }

            // 6. Final norm and bias-free head; logits in float32, copied to the host once.
            Tensor logits = TorchOps.linear(layerNorm(h, normW, normB), head, null);                       // [B, T, vocab]
            return TorchTensors.toFloats(logits);
        }
    }

    /** Row of the joined embedding table per entry: class id (class_num = fake_latent), token, mask_token. */
    private int[] tableRows(ForwardBatch batch) {
        int[] rows = new int[batch.ids().length];
        for (int i = 0; i < rows.length; i++) {
            int id = batch.ids()[i];
            rows[i] = switch (batch.kinds()[i]) {
                case CLASS -> id;
                case TOKEN -> c.numClasses() + 1 + id;
                case QUERY -> c.numClasses() + 1 + c.vocabSize() + id;
            };
        }
        return rows;
    }

    /** nn.LayerNorm(dim, eps) in float32 (biased variance, affine), cast back to the compute dtype. */
    private Tensor layerNorm(Tensor x, Tensor w, Tensor bias) {
        return torch.layer_norm(x.to(ScalarType.Float), new long[] {c.dim()},
                new TensorOptional(w.to(ScalarType.Float)), new TensorOptional(bias.to(ScalarType.Float)), c.normEps(), true)
                .to(dtype);
    }

    private void validate(ForwardBatch batch) {
        cache.check(batch);
        for (int i = 0; i < batch.kinds().length; i++) {
            int id = batch.ids()[i];
            int limit = switch (batch.kinds()[i]) {
                case CLASS -> c.numClasses() + 1;
                case TOKEN -> c.vocabSize();
                case QUERY -> 1;
            };
            if (id < 0 || id >= limit) {
                throw new BackendException("torch: lpd " + batch.kinds()[i] + " id " + id + " of entry " + i + " is outside [0, " + limit + ")");
            }
            int p = batch.positions()[i];
            if (p < 0 || p > c.seqLen()) {
                throw new BackendException("torch: lpd position " + p + " of entry " + i + " is outside [0, " + (c.seqLen() + 1) + ")");
            }
        }
    }

    @Override
    public void close() {
        cache.clear();
        owned.close();
    }

    @Override
    public String toString() {
        return "TorchLpd[" + options.describe() + ", dim=" + c.dim() + ", depth=" + c.depth() + "]";
    }
}
