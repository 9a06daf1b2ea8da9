package io.tessera.torch;

import io.tessera.core.BackendException;
import io.tessera.core.model.LlamaGenConfig;
import io.tessera.core.model.LlamaGenModel;
import io.tessera.core.model.LlamaGenWeights;
import io.tessera.core.model.ParModel;
import io.tessera.core.spi.ForwardBatch;
import io.tessera.core.spi.ModelSpec;
import io.tessera.torch.nn.Attention;
import io.tessera.torch.nn.LlamaGenModule;
import org.bytedeco.pytorch.Tensor;

/**
 * The LlamaGen c2i GPT ({@code autoregressive/models/gpt.py}) as a decode session: the family's one
 * libtorch module ({@link LlamaGenModule}, which training runs too) over a KV cache of caller-chosen slots.
 * Weights are uploaded once; each forward ends with one device → host copy of the logits ({@link TorchSession}).
 *
 * <p>Also runs PAR, the same GPT whose only difference is the embedding step: QUERY entries embed the
 * transition tokens {@code spe_tok_embeddings} (and sit at position 0, the zero RoPE row, so their q and k
 * are 0 as for the class token). RandAR runs on it as {@link TorchRandar}, which supplies its rotated
 * position-instruction table as the QUERY rows.
 */
sealed class TorchLlamaGen extends TorchSession permits TorchRandar {

    private final LlamaGenConfig c;
    private final int queryRows;         // PAR: n − 1 transition tokens; llamagen: 0 (no QUERY entries)
    private final LlamaGenModule gpt;    // the family's one libtorch module (also what training runs)

    TorchLlamaGen(LlamaGenModel model, TorchOptions options) {
        this(model, model.weights(), null, options);
    }

    /** PAR: the GPT plus the transition-token table for QUERY entries. */
    TorchLlamaGen(ParModel model, TorchOptions options) {
        this(model, model.weights().gpt(), model.weights().transition(), options);
    }

    /** The GPT whose QUERY entry of id j embeds row j of {@code transition} (null: no QUERY entries). */
    TorchLlamaGen(ModelSpec model, LlamaGenWeights w, io.tessera.core.checkpoint.Tensor transition, TorchOptions options) {
        super(model, options, w.config().nLayer(), w.config().nKvHead(), w.config().headDim());
        this.c = w.config();
        this.queryRows = transition == null ? 0 : (int) transition.shape()[0];
        gpt = upload(uploads -> new LlamaGenModule(w, uploads, dtype, transition == null ? null : uploads.get(transition), true));
    }

    @Override
    final Tensor logits(Tensor rows, Tensor positions, Attention attention, int length) {
        return gpt.forward(rows, positions, attention);
    }

    /**
     * The family's embedding step: the row of the joined table per entry. CLASS → cls_embedding[id] (id =
     * num_classes: the null class), TOKEN → tok_embeddings[id], QUERY (PAR) → transition token [id].
     */
    @Override
    final int[] tableRows(ForwardBatch batch) {
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

    @Override
    final void checkEntries(ForwardBatch batch) {
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
    public String toString() {
        return "TorchLlamaGen[" + model.family() + ", " + options.describe() + ", dim=" + c.dim() + ", layers=" + c.nLayer() + "]";
    }
}
