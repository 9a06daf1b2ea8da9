/**
 * The {@code llamagen-vq} tokenizer plugin: LlamaGen's VQ-16/VQ-8 decoder config and checkpoint,
 * decoding token grids to pixels on the pipeline's backend.
 */
package io.tessera.tokenizers;
