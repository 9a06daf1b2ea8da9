/**
 * The one decode loop ({@link io.tessera.core.decode.Generator}) and what it drives: the family
 * adapters that turn a plan's cells into backend entries (LlamaGen/ZipAR, PAR, LPD), the sampler
 * (LlamaGen's {@code sample()}: temperature, top-k, top-p, CFG) and the portable SplitMix64
 * {@link io.tessera.core.decode.Rng} that makes a seed give the same tokens on every backend.
 */
package io.tessera.core.decode;
