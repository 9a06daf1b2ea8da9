package io.tessera.core.model;

import io.tessera.core.BackendException;
import io.tessera.core.spi.EntryKind;
import io.tessera.core.spi.ForwardBatch;
import io.tessera.core.spi.ModelSpec;

/**
 * A RandAR c2i model: config + weights. Cache slots follow the official sequence [cls, p₀, x₀, p₁, x₁, …]
 * in generation order ({@link RandarConfig#cacheSlots()}).
 *
 * <p>Backends embed a QUERY entry (id 0) as the position-instruction vector viewed as [n_head, head_dim]
 * and rotated by the 2-D RoPE row of the entry's position (its target cell), as
 * {@code get_position_instruction_tokens} does; attention then applies RoPE at the same position again to
 * its q and k (the official double rotation, RandAR issue #7: reproduced on purpose, the checkpoints were
 * trained with it). TOKEN entries sit at the RoPE row of their own cell, CLASS at row 0 (zeros).
 */
public record RandarModel(RandarConfig config, RandarWeights weights) implements ModelSpec {
    @Override
    public String family() {
        return "randar";
    }

    @Override
    public int vocabSize() {
        return config.gpt().vocabSize();
    }

    @Override
    public int cacheCapacity() {
        return config.cacheSlots();
    }

    @Override
    public int nullClass() {
        return config.gpt().nullClass();
    }

    @Override
    public int numClasses() {
        return config.gpt().numClasses();
    }

    /**
     * The batch a backend's LlamaGen forward runs for a RandAR pass: a QUERY entry (id 0) at position p reads row p
     * of the backend's rotated-instruction table (one row per RoPE position), everything else is unchanged.
     *
     * @param backend the backend's name, for the error message
     */
    public static ForwardBatch instructionRows(ForwardBatch batch, String backend) {
        int[] ids = batch.ids().clone();
        for (int e = 0; e < ids.length; e++) {
            if (batch.kinds()[e] == EntryKind.QUERY) {
                if (ids[e] != 0) {
                    throw new BackendException(backend + ": randar has one position-instruction vector; entry " + e
                            + " asks for QUERY id " + ids[e]);
                }
                if (batch.positions()[e] == 0) {
                    throw new BackendException(backend + ": randar entry " + e + " is a position instruction at position 0;"
                            + " it needs its target cell's position 1 + cell");
                }
                ids[e] = batch.positions()[e];
            }
        }
        return new ForwardBatch(batch.rows(), batch.length(), batch.kinds(), ids, batch.positions(), batch.slots(),
                batch.visible(), batch.cacheRows());
    }
}
