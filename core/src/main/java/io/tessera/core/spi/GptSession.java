package io.tessera.core.spi;

/**
 * A model loaded on a backend, with its KV cache of image rows. Not thread-safe: one caller (the
 * generator or a server's scheduler thread) at a time.
 *
 * <p>Cache lifecycle: {@link #reset(int, int)} opens a zero-filled cache for {@code rows} sequences of
 * {@code capacity} slots (zeros are part of the semantics: an unwritten slot that a mask leaves visible
 * contributes key 0 and value 0, as in the official ZipAR code). A batch generator resets once per
 * batch; a server resets once and then reuses rows per image: {@link #clearRow(int)} zero-fills one row
 * (every slot, every layer) so the next image in it sees exactly what it would see on a fresh cache,
 * and leaves every other row untouched.
 *
 * <p>{@link #forward} embeds the entries, writes every entry's key/value at its slot in the cache row
 * {@link ForwardBatch#cacheRows() cacheRows[r]} of its batch row r, then lets each entry attend to the
 * visible slots of that row, and returns float32 logits [B·T·vocab] for every entry in batch order. A
 * batch may name any subset of the cache rows, in any order; rows it does not name are neither read nor
 * written. An entry's logits depend only on its own row's cache and inputs, never on the other rows of
 * the batch (cpu-vector: the same bits; a library backend may round differently for another batch shape).
 */
public interface GptSession extends AutoCloseable {
    ModelSpec model();

    /** Opens (or re-opens) a zero-filled cache of {@code rows} × {@code capacity} slots. */
    void reset(int rows, int capacity);

    /** Zero-fills cache row {@code row} (in [0, rows)) for a new sequence; other rows keep their contents. */
    void clearRow(int row);

    float[] forward(ForwardBatch batch);

    @Override
    void close();
}
