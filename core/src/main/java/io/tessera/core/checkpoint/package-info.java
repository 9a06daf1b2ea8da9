/**
 * Checkpoint files: safetensors (memory-mapped with FFM, read and written) and PyTorch {@code .pt}
 * (zip + an allow-listed unpickler), the {@link io.tessera.core.checkpoint.Tensor} view they share, and
 * {@link io.tessera.core.checkpoint.AtomicFiles} (temporary sibling + atomic rename). The {@code .pt}
 * writers used by tests live in core's test-jar.
 */
package io.tessera.core.checkpoint;
