/**
 * The plugin interfaces and the values they exchange: orders ({@link io.tessera.core.spi.OrderScheduler},
 * {@link io.tessera.core.spi.Plan}, {@link io.tessera.core.spi.Group}), tokenizers
 * ({@link io.tessera.core.spi.ImageTokenizer}) and compute backends ({@link io.tessera.core.spi.ComputeBackend},
 * {@link io.tessera.core.spi.GptSession}, {@link io.tessera.core.spi.ForwardBatch}); contracts are in each
 * javadoc. {@link io.tessera.core.spi.SyntheticPasses} makes made-up passes for benchmarks.
 */
package io.tessera.core.spi;
