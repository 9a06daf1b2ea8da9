/**
 * Output formats shared by every command: decoder output to pixels and PNG grids
 * ({@link io.tessera.core.io.Images}, the FID script's [−1, 1] → uint8 mapping), NumPy {@code .npy}
 * ({@link io.tessera.core.io.Npy}) and the one progress bar ({@link io.tessera.core.io.ProgressBars}).
 */
package io.tessera.core.io;
