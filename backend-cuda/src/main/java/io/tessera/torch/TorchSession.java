package io.tessera.torch;

import io.tessera.core.spi.ForwardBatch;
import io.tessera.core.spi.GptSession;
import io.tessera.core.spi.ModelSpec;
import io.tessera.torch.nn.Attention;
import io.tessera.torch.nn.Params;
import java.util.function.Function;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * What every family's libtorch decode session shares: the options, the owner of the uploaded weights, the
 * KV cache of caller-chosen slots ({@link #reset}, {@link #clearRow}, {@link #close}) and the forward step:
 * check the batch, run the family module on each entry's embedding-table row and position over the
 * cache, copy the logits to the host once. Each {@link #forward} runs in its own {@link PointerScope}.
 *
 * <p>A family supplies its module (built through {@link #upload}), its entry checks, its table rows and
 * the module call.
 */
abstract sealed class TorchSession implements GptSession permits TorchLlamaGen, TorchLpd {
    final ModelSpec model;
    final TorchOptions options;
    final Device device;
    final ScalarType dtype;
    final TorchTensors owned = new TorchTensors();
    final TorchKvCache cache;    // per layer [rows, kv_heads, capacity, head_dim]

    TorchSession(ModelSpec model, TorchOptions options, int layers, int kvHeads, int headDim) {
        this.model = model;
        this.options = options;
        this.device = options.device();
        this.dtype = options.gptDtype();
        options.applyThreads();
        this.cache = new TorchKvCache(owned, device, dtype, options.cacheDtype(), layers, kvHeads, headDim);
    }

    /** The family module built from weights uploaded once (kept by this session); on failure frees what was uploaded. */
    final <M> M upload(Function<Params, M> build) {
        try (PointerScope _ = new PointerScope()) {
            return build.apply(owned.uploads(device, dtype));
        } catch (RuntimeException e) {
            owned.close();
            throw e;
        }
    }

    /** Throws a {@link io.tessera.core.BackendException} for an entry the family cannot embed (ids, positions). */
    abstract void checkEntries(ForwardBatch batch);

    /** The row of the family's joined embedding table per entry. */
    abstract int[] tableRows(ForwardBatch batch);

    /**
     * The module's logits [B, T, vocab] for table rows and positions [B, T] (long) with {@code attention} over
     * the cache; {@code length} = T.
     */
    abstract Tensor logits(Tensor rows, Tensor positions, Attention attention, int length);

    @Override
    public final ModelSpec model() {
        return model;
    }

    @Override
    public final void reset(int rows, int capacity) {
        cache.reset(rows, capacity);
    }

    @Override
    public final void clearRow(int row) {
        cache.clearRow(row);
    }

    @Override
    public float[] forward(ForwardBatch batch) {
        cache.check(batch);
        checkEntries(batch);
        final int b = batch.rows();
        final int t = batch.length();
        try (PointerScope _ = new PointerScope()) {
            // Where each entry writes its key/value, and which slots each entry sees; the module attends over the cache.
            TorchKvCache.Pass pass = cache.pass(batch);
            Tensor logits = logits(TorchTensors.longs(tableRows(batch), device, b, t), TorchTensors.longs(batch.positions(), device, b, t),
                    (layer, q, k, v) -> cache.attend(layer, pass, q, k, v), t);                     // [B, T, vocab]
            return TorchTensors.toFloats(logits);
        }
    }

    @Override
    public final void close() {
        cache.clear();
        owned.close();
    }
}
