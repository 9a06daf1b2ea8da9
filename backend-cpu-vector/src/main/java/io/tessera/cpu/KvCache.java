package io.tessera.cpu;

import io.tessera.core.BackendException;
import io.tessera.core.spi.ForwardBatch;
import java.util.Arrays;

/**
 * The KV cache of one cpu-vector GPT session (LlamaGen, PAR, RandAR, LPD): per (cache row, layer) one key and one
 * value array of {@code capacity} slots × {@code width} floats, zero-filled as the official caches are, written
 * slot by slot as entries are run. {@link #reset} sizes it, {@link #clearRow} empties one row for a new image.
 */
final class KvCache {
    private final int layers;
    private final int width;
    private int rows;
    private int capacity;
    private float[][] keys;   // [rows · layers][capacity · width]
    private float[][] values; // [rows · layers][capacity · width]
    private boolean closed;

    /** A cache for {@code layers} layers of {@code width} key (and value) floats per slot; sized by {@link #reset}. */
    KvCache(int layers, int width) {
        this.layers = layers;
        this.width = width;
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
        this.keys = new float[rows * layers][Math.multiplyExact(capacity, width)];
        this.values = new float[rows * layers][Math.multiplyExact(capacity, width)];
    }

    /** Zeros every slot of cache row {@code row}, in every layer. */
    void clearRow(int row) {
        if (keys == null) {
            throw new BackendException("cpu-vector: clearRow before reset(rows, capacity)");
        }
        if (row < 0 || row >= rows) {
            throw new BackendException("cpu-vector: clearRow(" + row + ") outside the cache's rows [0, " + rows + ")");
        }
        for (int layer = 0; layer < layers; layer++) {
            Arrays.fill(keys[row * layers + layer], 0f);
            Arrays.fill(values[row * layers + layer], 0f);
        }
    }

    /** Refuses a pass the cache was not reset for: before any reset, naming a row beyond it, or another capacity. */
    void check(ForwardBatch batch) {
        if (closed) {
            throw new BackendException("cpu-vector: forward on a closed session");
        }
        if (keys == null) {
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
        int slot = batch.slots()[e] * width;
        System.arraycopy(src, keyOff, keys[cache], slot, width);
        System.arraycopy(src, valueOff, values[cache], slot, width);
    }

    int capacity() {
        return capacity;
    }

    /** Keys per (row · layers + layer). */
    float[][] keys() {
        return keys;
    }

    /** Values per (row · layers + layer). */
    float[][] values() {
        return values;
    }

    /** Drops the storage. */
    void close() {
        closed = true;
        keys = null;
        values = null;
    }
}
