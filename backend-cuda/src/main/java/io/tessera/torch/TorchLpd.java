package io.tessera.torch;

import io.tessera.core.BackendException;
import io.tessera.core.model.LpdConfig;
import io.tessera.core.model.LpdModel;
import io.tessera.core.spi.ForwardBatch;
import io.tessera.core.spi.GptSession;
import io.tessera.core.spi.ModelSpec;
import io.tessera.torch.nn.LpdModule;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * LPD's ViT decoder (mit-han-lab/lpd {@code models/lpd.py}) as a decode session: the family's one libtorch
 * module ({@link LpdModule}, which training runs too) with its inference KV cache
 * ({@code Attention.forward_inference}: attention over the zero-filled cache). Weights are uploaded once;
 * each {@link #forward} runs in its own {@link PointerScope} and ends with one device → host copy.
 */
final class TorchLpd implements GptSession {

    private final LpdModel model;
    private final LpdConfig c;
    private final TorchOptions options;
    private final Device device;
    private final TorchTensors owned = new TorchTensors();
    private final LpdModule vit;      // the family's one libtorch module (also what training runs)
    private final TorchKvCache cache; // per block [rows, heads, capacity, head_dim]

    TorchLpd(LpdModel model, TorchOptions options) {
        this.model = model;
        this.c = model.config();
        this.options = options;
        this.device = options.device();
        ScalarType dtype = options.gptDtype();
        options.applyThreads();
        try (PointerScope _ = new PointerScope()) {
            vit = new LpdModule(model.weights(), owned.uploads(device, dtype), dtype, true);
        } catch (RuntimeException e) {
            owned.close();
            throw e;
        }
        this.cache = new TorchKvCache(owned, device, dtype, c.depth(), c.numHeads(), c.headDim());
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
        try (PointerScope _ = new PointerScope()) {
            // Where each entry writes its key/value, and which slots each entry sees; the module attends over the cache.
            TorchKvCache.Pass pass = cache.pass(batch);
            Tensor logits = vit.forward(TorchTensors.longs(tableRows(batch), device, b, t), TorchTensors.longs(batch.positions(), device, b, t),
                    (layer, q, k, v) -> cache.attend(layer, pass, q, k, v), t);                          // [B, T, vocab]
            return TorchTensors.toFloats(logits);
        }
    }

    /** Row of the joined embedding table per entry: class id (class_num = fake_latent), token, mask_token. */
    private int[] tableRows(ForwardBatch batch) {
        int[] rows = new int[batch.ids().length];
        for (int i = 0; i < rows.length; i++) {
            int id = batch.ids()[i];
            rows[i] = switch (batch.kinds()[i]) {
                case CLASS -> vit.classRow(id);
                case TOKEN -> vit.tokenRow(id);
                case QUERY -> vit.queryRow();
            };
        }
        return rows;
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
