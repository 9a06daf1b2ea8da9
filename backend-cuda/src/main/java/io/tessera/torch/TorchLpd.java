package io.tessera.torch;

import io.tessera.core.BackendException;
import io.tessera.core.model.LpdConfig;
import io.tessera.core.model.LpdModel;
import io.tessera.core.spi.ForwardBatch;
import io.tessera.torch.nn.Attention;
import io.tessera.torch.nn.LpdModule;
import org.bytedeco.pytorch.Tensor;

/**
 * LPD's ViT decoder (mit-han-lab/lpd {@code models/lpd.py}) as a decode session: the family's one libtorch
 * module ({@link LpdModule}, which training runs too) with its inference KV cache
 * ({@code Attention.forward_inference}: attention over the zero-filled cache). Weights are uploaded once;
 * each forward ends with one device → host copy ({@link TorchSession}).
 */
final class TorchLpd extends TorchSession {

    private final LpdConfig c;
    private final LpdModule vit;      // the family's one libtorch module (also what training runs)

    TorchLpd(LpdModel model, TorchOptions options) {
        super(model, options, model.config().depth(), model.config().numHeads(), model.config().headDim());
        this.c = model.config();
        vit = upload(uploads -> new LpdModule(model.weights(), uploads, dtype, true));
    }

    @Override
    Tensor logits(Tensor rows, Tensor positions, Attention attention, int length) {
        return vit.forward(rows, positions, attention, length);
    }

    /** Row of the joined embedding table per entry: class id (class_num = fake_latent), token, mask_token. */
    @Override
    int[] tableRows(ForwardBatch batch) {
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

    @Override
    void checkEntries(ForwardBatch batch) {
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
    public String toString() {
        return "TorchLpd[" + options.describe() + ", dim=" + c.dim() + ", depth=" + c.depth() + "]";
    }
}
