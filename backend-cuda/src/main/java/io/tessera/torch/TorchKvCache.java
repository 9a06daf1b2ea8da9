package io.tessera.torch;

import io.tessera.core.BackendException;
import io.tessera.core.spi.ForwardBatch;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorIndex;
import org.bytedeco.pytorch.TensorIndexVector;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * A session's KV cache of caller-chosen slots, shared by every family's forward: per layer K and V
 * [rows, kv_heads, capacity, head_dim], zero-filled at {@link #reset}, and the step "write every entry's
 * key/value at its slot, then attend over the visible slots" of {@link ForwardBatch}. The cache may be stored in
 * bfloat16 under float32 compute ({@code kv_cache: bfloat16}): keys and values are rounded when written, widened when
 * read.
 */
final class TorchKvCache {

    /**
     * Where each entry of one pass writes (cache row, slot), which slots it sees, and the cache rows the batch
     * attends over ({@code rows} [B] long, or null when the batch is the whole cache in order); built once per forward.
     */
    record Pass(TensorIndexVector writeAt, Tensor mask, Tensor rows) { // mask: [B, 1, T, S] bool
    }

    private final TorchTensors owned;
    private final Device device;
    private final ScalarType dtype;      // the cache's storage
    private final ScalarType compute;    // what attention computes in
    private final int layers;
    private final int kvHeads;
    private final int headDim;

    private final List<Tensor> keys = new ArrayList<>();   // per layer [rows, kv_heads, capacity, head_dim]
    private final List<Tensor> values = new ArrayList<>();
    private int rows;
    private int capacity;

    TorchKvCache(TorchTensors owned, Device device, ScalarType compute, ScalarType dtype, int layers, int kvHeads, int headDim) {
        this.owned = owned;
        this.device = device;
        this.compute = compute;
        this.dtype = dtype;
        this.layers = layers;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
    }

    /** Replaces the cache by a zero-filled one of {@code rows} × {@code capacity} slots. */
    void reset(int rows, int capacity) {
        if (rows <= 0 || capacity <= 0) {
            throw new BackendException("torch: reset needs rows > 0 and capacity > 0, got " + rows + ", " + capacity);
        }
        clear();
        try (PointerScope _ = new PointerScope()) {
            TensorOptions opts = new TensorOptions(device).dtype(new ScalarTypeOptional(dtype));
            long[] shape = {rows, kvHeads, capacity, headDim};
            for (int i = 0; i < layers; i++) {
                keys.add(owned.keep(torch.zeros(shape, opts)));
                values.add(owned.keep(torch.zeros(shape, opts)));
            }
        }
        this.rows = rows;
        this.capacity = capacity;
    }

    /**
     * Zero-fills cache row {@code row} of every layer (a new image takes the row); other rows keep their contents.
     */
    void clearRow(int row) {
        if (capacity == 0) {
            throw new BackendException("torch: clearRow without a cache (call reset(rows, capacity) first)");
        }
        if (row < 0 || row >= rows) {
            throw new BackendException("torch: clearRow(" + row + ") outside the cache's rows [0, " + rows + ")");
        }
        try (PointerScope _ = new PointerScope()) {
            for (int i = 0; i < layers; i++) {
                keys.get(i).select(0, row).zero_();
                values.get(i).select(0, row).zero_();
            }
        }
    }

    /** Frees the cache now; a forward then fails until the next {@link #reset}. */
    void clear() {
        keys.forEach(owned::free);
        values.forEach(owned::free);
        keys.clear();
        values.clear();
        rows = 0;
        capacity = 0;
    }

    /** Checks the batch's shape against the cache: rows, at least one entry per row, mask width, slots. */
    void check(ForwardBatch batch) {
        if (capacity == 0) {
            throw new BackendException("torch: forward without a cache (call reset(rows, capacity) first; a closed session has none)");
        }
        if (batch.rowsNeeded() > rows) {
            throw new BackendException("torch: forward names cache row " + (batch.rowsNeeded() - 1) + ", the cache was reset for "
                    + rows + " rows");
        }
        if (batch.length() <= 0) {
            throw new BackendException("torch: forward needs at least one entry per row");
        }
        if (batch.capacity() != capacity) {
            throw new BackendException("torch: the visibility mask covers " + batch.capacity() + " slots, the cache has " + capacity);
        }
        for (int i = 0; i < batch.slots().length; i++) {
            int slot = batch.slots()[i];
            if (slot < 0 || slot >= capacity) {
                throw new BackendException("torch: slot " + slot + " of entry " + i + " is outside [0, " + capacity + ")");
            }
        }
    }

    /** The write indices (row, slot) [B, T] and the attention mask [B, 1, T, S] of {@code batch}, in the caller's scope. */
    Pass pass(ForwardBatch batch) {
        int b = batch.rows();
        int t = batch.length();
        int[] rowOf = new int[b * t];
        for (int i = 0; i < rowOf.length; i++) {
            rowOf[i] = batch.cacheRowOf(i);
        }
        boolean whole = b == rows && batch.identityRows();
        TensorIndexVector writeAt = new TensorIndexVector(
                new TensorIndex(TorchTensors.longs(rowOf, device, b, t)),
                new TensorIndex(TorchTensors.longs(batch.slots(), device, b, t)));
        return new Pass(writeAt, TorchTensors.bools(batch.visible(), device, b, 1, t, capacity),
                whole ? null : TorchTensors.longs(batch.cacheRows(), device, b));
    }

    /**
     * Writes every entry's key and value at its slot first ({@code cache[cacheRows[r], :, slot, :] = k[r, t]}), then
     * attends over all slots the mask leaves visible (unwritten ones hold zeros: score 0, value 0) with scale
     * 1/√head_dim; with fewer kv heads than query heads (GQA) each kv head serves heads/kv_heads query heads.
     *
     * @param q [B, T, H, hd]
     * @param k [B, T, KVH, hd]
     * @param v [B, T, KVH, hd]
     * @return the heads concatenated: [B, T, H·hd]
     */
    Tensor attend(int layer, Pass pass, Tensor q, Tensor k, Tensor v) {
        Tensor ck = keys.get(layer);                                                      // [B, KVH, S, hd]
        Tensor cv = values.get(layer);
        boolean widen = dtype != compute;
        ck.transpose(1, 2).index_put_(pass.writeAt(), widen ? k.to(dtype) : k);          // rounds to nearest even
        cv.transpose(1, 2).index_put_(pass.writeAt(), widen ? v.to(dtype) : v);
        long heads = q.size(2);
        Tensor ks = pass.rows() == null ? ck : ck.index_select(0, pass.rows());           // the batch's rows only
        Tensor vs = pass.rows() == null ? cv : cv.index_select(0, pass.rows());
        if (widen) {
            ks = ks.to(compute);
            vs = vs.to(compute);
        }
        if (heads != kvHeads) {
            ks = ks.repeat_interleave(heads / kvHeads, new LongOptional(1), new LongOptional());
            vs = vs.repeat_interleave(heads / kvHeads, new LongOptional(1), new LongOptional());
        }
        Tensor out = torch.scaled_dot_product_attention(q.transpose(1, 2), ks, vs,
                new TensorOptional(pass.mask()), 0.0, false, new DoubleOptional(), false);  // [B, H, T, hd]
        return out.transpose(1, 2).reshape(q.size(0), q.size(1), heads * headDim);
    }
}
