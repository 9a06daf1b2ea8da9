package io.tessera.core.spi;

/**
 * A model loaded on a backend, with its KV cache. Not thread-safe: one generation at a time.
 *
 * <p>Contract: {@link #reset(int, int)} allocates a zero-filled cache for {@code rows} sequences of
 * {@code capacity} slots (zeros are part of the semantics: an unwritten slot that a mask leaves
 * visible contributes key 0 and value 0, as in the official ZipAR code). {@link #forward} embeds the
 * entries, writes every entry's key/value at its slot, then lets each entry attend to the visible
 * slots, and returns float32 logits [B·T·vocab] for every entry in batch order.
 */
public interface GptSession extends AutoCloseable {
    ModelSpec model();

    void reset(int rows, int capacity);

    float[] forward(ForwardBatch batch);

    @Override
    void close();
}
