package io.tessera.cpu;

import io.tessera.core.BackendException;
import io.tessera.core.checkpoint.Tensor;
import io.tessera.core.spi.ForwardBatch;
import java.util.Arrays;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The KV cache of one cpu-vector GPT session (LlamaGen, PAR, RandAR, LPD): per (cache row, layer) one key and one
 * value array of {@code capacity} slots × {@code width} floats, zero-filled as the official caches are, written
 * slot by slot as entries are run. {@link #reset} sizes it, {@link #clearRow} empties one row for a new image.
 *
 * <p>Head-major: kv head g of slot s is at (g · capacity + s) · headDim, so one head's slots are contiguous. Wide
 * passes read a head's slots for a block of entries at a time; slot-major (a head's slots n_kv · headDim apart, 3 KB
 * for GPT-B) was a stride the hardware prefetcher did not follow, and attention waited on memory slot by slot.
 *
 * <p>With {@code kv_cache: bfloat16} the slots are stored as bfloat16 (round to nearest even, as torch's
 * {@code Tensor.to(bfloat16)} and as the official sampler's cache under its default {@code --precision bf16}), half the
 * bytes that every pass streams per cache row; attention widens them back to float exactly ({@link #widen}), so it
 * computes what a float cache holding the rounded values would.
 */
final class KvCache {
    private final int layers;
    private final int width;
    private final int headDim;
    private final boolean bf16;
    private int rows;
    private int capacity;
    private float[][] keys;   // [rows · layers][width / headDim heads][capacity][headDim]
    private float[][] values; // as keys
    private short[][] keys16;   // bfloat16 instead of keys/values (kv_cache: bfloat16)
    private short[][] values16;
    private boolean closed;

    /**
     * A cache for {@code layers} layers of {@code width} key (and value) numbers per slot in heads of {@code headDim},
     * float32 or (bf16) bfloat16; sized by {@link #reset}.
     */
    KvCache(int layers, int width, int headDim, boolean bf16) {
        if (headDim < 1 || width % headDim != 0) {
            throw new BackendException("cpu-vector: KV width " + width + " is not a whole number of heads of " + headDim);
        }
        this.layers = layers;
        this.width = width;
        this.headDim = headDim;
        this.bf16 = bf16;
    }

    /** Zeroed storage for {@code rows} cache rows of {@code capacity} slots. */
    void reset(int rows, int capacity) {
        if (closed) {
            throw new BackendException("cpu-vector: reset on a closed session");
        }
        if (rows < 1 || capacity < 1) {
            throw new BackendException("cpu-vector: reset needs rows ≥ 1 and capacity ≥ 1, got " + rows + ", " + capacity);
        }
        this.rows = rows;
        this.capacity = capacity;
        int n = Math.multiplyExact(capacity, width);
        if (bf16) {
            this.keys16 = new short[rows * layers][n];
            this.values16 = new short[rows * layers][n];
        } else {
            this.keys = new float[rows * layers][n];
            this.values = new float[rows * layers][n];
        }
    }

    /** Zeros every slot of cache row {@code row}, in every layer. */
    void clearRow(int row) {
        if (closed) {
            throw new BackendException("cpu-vector: clearRow on a closed session");
        }
        if (rows == 0) {
            throw new BackendException("cpu-vector: clearRow before reset(rows, capacity)");
        }
        if (row < 0 || row >= rows) {
            throw new BackendException("cpu-vector: clearRow(" + row + ") outside the cache's rows [0, " + rows + ")");
        }
        for (int layer = 0; layer < layers; layer++) {
            if (bf16) {
                Arrays.fill(keys16[row * layers + layer], (short) 0);
                Arrays.fill(values16[row * layers + layer], (short) 0);
            } else {
                Arrays.fill(keys[row * layers + layer], 0f);
                Arrays.fill(values[row * layers + layer], 0f);
            }
        }
    }

    /** Refuses a pass the cache was not reset for: before any reset, naming a row beyond it, or another capacity. */
    void check(ForwardBatch batch) {
        if (closed) {
            throw new BackendException("cpu-vector: forward on a closed session");
        }
        if (rows == 0) {
            throw new BackendException("cpu-vector: forward before reset(rows, capacity)");
        }
        if (batch.rowsNeeded() > rows) {
            throw new BackendException("cpu-vector: batch names cache row " + (batch.rowsNeeded() - 1) + ", the cache was reset for "
                    + rows + " rows");
        }
        if (batch.rows() * batch.length() > 0 && batch.capacity() != capacity) {
            throw new BackendException("cpu-vector: mask covers " + batch.capacity() + " slots, the cache has " + capacity);
        }
    }

    /** Writes the key at src[keyOff ..] and the value at src[valueOff ..] of entry e into its slot of {@code layer}. */
    void write(ForwardBatch batch, int e, int layer, float[] src, int keyOff, int valueOff) {
        int cache = batch.cacheRowOf(e) * layers + layer;
        int slot = batch.slots()[e];
        for (int g = 0, off = 0; off < width; g++, off += headDim) {
            int at = (g * capacity + slot) * headDim;
            if (bf16) {
                short[] k = keys16[cache];
                short[] v = values16[cache];
                for (int i = 0; i < headDim; i++) {
                    k[at + i] = toBf16(src[keyOff + off + i]);
                    v[at + i] = toBf16(src[valueOff + off + i]);
                }
            } else {
                System.arraycopy(src, keyOff + off, keys[cache], at, headDim);
                System.arraycopy(src, valueOff + off, values[cache], at, headDim);
            }
        }
    }

    /** float → bfloat16, round to nearest even (c10::BFloat16's rule: a NaN becomes the quiet NaN 0x7fc0). */
    static short toBf16(float f) {
        return Float.isNaN(f) ? (short) 0x7fc0 : Tensor.bf16Bits(f);
    }

    /** dst[d0 ..) = the n bfloat16 values src[s0 ..) widened to float (exact). */
    static void widen(short[] src, int s0, float[] dst, int d0, int n) {
        int i = 0;
        for (int lanes = VectorKernels.L; i + lanes <= n; i += lanes) {
            IntVector h = (IntVector) ShortVector.fromArray(VectorKernels.S, src, s0 + i)
                    .convertShape(VectorOperators.S2I, VectorKernels.I, 0);
            h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(dst, d0 + i);
        }
        for (; i < n; i++) {
            dst[d0 + i] = Float.intBitsToFloat(src[s0 + i] << 16);
        }
    }

    /** Whether the slots are stored as bfloat16 ({@link #keys16}) rather than float ({@link #keys}). */
    boolean bf16() {
        return bf16;
    }

    /** Numbers per slot of one layer (n_kv_head · head_dim). */
    int width() {
        return width;
    }

    /** bfloat16 keys per (row · layers + layer), or null for a float cache. */
    short[][] keys16() {
        return keys16;
    }

    /** bfloat16 values per (row · layers + layer), or null for a float cache. */
    short[][] values16() {
        return values16;
    }

    int capacity() {
        return capacity;
    }

    /** Keys per (row · layers + layer), or null for a bfloat16 cache. */
    float[][] keys() {
        return keys;
    }

    /** Values per (row · layers + layer), or null for a bfloat16 cache. */
    float[][] values() {
        return values;
    }

    /** Drops the storage. */
    void close() {
        closed = true;
        keys = null;
        values = null;
        keys16 = null;
        values16 = null;
    }
}
