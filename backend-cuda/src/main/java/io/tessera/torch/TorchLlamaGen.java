package io.tessera.torch;

import io.tessera.core.BackendException;
import io.tessera.core.model.LlamaGenConfig;
import io.tessera.core.model.LlamaGenModel;
import io.tessera.core.model.LlamaGenWeights;
import io.tessera.core.model.ParModel;
import io.tessera.core.spi.ForwardBatch;
import io.tessera.core.spi.GptSession;
import io.tessera.core.spi.ModelSpec;
import io.tessera.torch.nn.LlamaGenModule;
import io.tessera.torch.nn.Params;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The LlamaGen c2i GPT ({@code autoregressive/models/gpt.py}) as a decode session: the family's one
 * libtorch module ({@link LlamaGenModule}, which training runs too) over a KV cache of caller-chosen slots.
 * Weights are uploaded once; each {@link #forward} runs in its own {@link PointerScope} and ends with one
 * device → host copy of the logits.
 *
 * <p>Also runs PAR, the same GPT whose only difference is the embedding step: QUERY entries embed the
 * transition tokens {@code spe_tok_embeddings} (and sit at position 0, the zero RoPE row, so their q and k
 * are 0 as for the class token). RandAR runs on it through {@link TorchRandar}, which supplies its rotated
 * position-instruction table as the QUERY rows.
 */
final class TorchLlamaGen implements GptSession {

    private final ModelSpec model;
    private final LlamaGenConfig c;
    private final TorchOptions options;
    private final Device device;
    private final TorchTensors owned = new TorchTensors();

    private final int queryRows;         // PAR: n − 1 transition tokens; llamagen: 0 (no QUERY entries)
    private final LlamaGenModule gpt;    // the family's one libtorch module (also what training runs)
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
        ScalarType dtype = options.gptDtype();
        this.queryRows = transition == null ? 0 : (int) transition.shape()[0];
        options.applyThreads();
        try (PointerScope _ = new PointerScope()) {
            Params uploads = owned.uploads(device, dtype);
            gpt = new LlamaGenModule(w, uploads, dtype, transition == null ? null : uploads.get(transition), true);
        } catch (RuntimeException e) {
            owned.close();
            throw e;
        }
        this.cache = new TorchKvCache(owned, device, dtype, c.nLayer(), c.nKvHead(), c.headDim());
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
            Tensor logits = gpt.forward(TorchTensors.longs(tableRows(batch), device, b, t), TorchTensors.longs(batch.positions(), device, b, t),
                    (layer, q, k, v) -> cache.attend(layer, pass, q, k, v));                       // [B, T, vocab]
            return TorchTensors.toFloats(logits);
        }
    }

    /**
     * The family's embedding step: the row of the joined table per entry. CLASS → cls_embedding[id] (id =
     * num_classes: the null class), TOKEN → tok_embeddings[id], QUERY (PAR) → transition token [id].
     */
    private int[] tableRows(ForwardBatch batch) {
        int[] row = new int[batch.ids().length];
        for (int i = 0; i < row.length; i++) {
            int id = batch.ids()[i];
            row[i] = switch (batch.kinds()[i]) {
                case CLASS -> id;
                case TOKEN -> gpt.tokenRow(id);
                case QUERY -> gpt.extraRow(id);
            };
        }
        return row;
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
