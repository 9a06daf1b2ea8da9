/**
 * The pure-Java backend ({@code backend: {name: cpu-vector}}): one forward class per family
 * ({@code LlamaGenForward} for LlamaGen and PAR, {@code LpdForward}, {@code VqDecoderForward}) over
 * {@code jdk.incubator.vector} kernels with scalar references ({@code Kernels}, {@code ScalarKernels},
 * {@code VectorKernels}, conv kernels), multi-threaded and deterministic ({@code Parallel}).
 */
package io.tessera.cpu;
