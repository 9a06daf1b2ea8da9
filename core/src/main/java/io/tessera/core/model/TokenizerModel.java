package io.tessera.core.model;

import io.tessera.core.checkpoint.Checkpoint;

/** A loaded tokenizer: decoder weights and the checkpoint that maps them (closed with this). */
public record TokenizerModel(VqWeights weights, Checkpoint checkpoint) implements AutoCloseable {
    @Override
    public void close() {
        checkpoint.close();
    }
}
