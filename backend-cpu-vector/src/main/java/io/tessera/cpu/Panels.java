package io.tessera.cpu;

import io.tessera.core.BackendException;
import io.tessera.core.checkpoint.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A linear layer's weight [out, in] repacked once, at session start, for {@link GptKernels#matmul}: panels of
 * {@link #WIDTH} consecutive outputs, panel p holding w[p·WIDTH + j, k] at element ((p·in + k)·WIDTH + j), so that
 * for each k a panel's outputs are one contiguous run that vector loads read lane by lane (lanes along the
 * outputs; the activations are broadcast). Outputs past the last real one are zero. The elements keep the
 * checkpoint's dtype (F32, or BF16/F16 as 16-bit values widened in the kernel), off-heap in an automatic arena (freed
 * with the session); the source {@link Matrix} stays the reference for the scalar kernel and for tests.
 *
 * <p>The width is fixed (32 outputs, two 512-bit vectors), not the vector length, and no result depends on it: every
 * output is one FMA chain over k in order.
 */
final class Panels {
    /** Outputs per panel: two float vectors with AVX-512 (four with AVX2); must be a multiple of the lane count. */
    static final int WIDTH = 32;

    private final Matrix source;
    private final MemorySegment data;
    private final int panels;

    private Panels(Matrix source, MemorySegment data, int panels) {
        this.source = source;
        this.data = data;
        this.panels = panels;
    }

    /** Packs {@code m} (F32, BF16 or F16). */
    static Panels of(Matrix m) {
        if (WIDTH % VectorKernels.L != 0) {
            throw new IllegalStateException("cpu-vector: panel width " + WIDTH + " is not a multiple of " + VectorKernels.L + " lanes");
        }
        int out = m.rows();
        int in = m.cols();
        int panels = (out + WIDTH - 1) / WIDTH;
        boolean f32 = m.dtype() == DType.F32;
        long bytes = (long) panels * WIDTH * in * (f32 ? Float.BYTES : Short.BYTES);
        if (bytes == 0) {
            throw new BackendException("cpu-vector: tensor '" + m.name() + "' is empty");
        }
        MemorySegment dst = Arena.ofAuto().allocate(bytes, 64);
        MemorySegment src = m.data();
        for (int o = 0; o < out; o++) {
            long base = (long) (o / WIDTH) * in * WIDTH + o % WIDTH;
            long row = (long) o * in;
            if (f32) {
                for (int k = 0; k < in; k++) {
                    dst.setAtIndex(Kernels.F32_LE, base + (long) k * WIDTH, src.getAtIndex(Kernels.F32_LE, row + k));
                }
            } else {
                for (int k = 0; k < in; k++) {
                    dst.setAtIndex(Kernels.I16_LE, base + (long) k * WIDTH, src.getAtIndex(Kernels.I16_LE, row + k));
                }
            }
        }
        return new Panels(m, dst, panels);
    }

    /** The weight as it was read from the checkpoint. */
    Matrix source() {
        return source;
    }

    /** The packed elements (little-endian, as the checkpoint's). */
    MemorySegment data() {
        return data;
    }

    /** Number of panels: ⌈out / WIDTH⌉. */
    int panels() {
        return panels;
    }

    /** Outputs (the weight's rows). */
    int outputs() {
        return source.rows();
    }

    /** Inputs (the weight's columns). */
    int inputs() {
        return source.cols();
    }

    /** First output of panel p. */
    static int firstOutput(int panel) {
        return panel * WIDTH;
    }

    /** End (exclusive) of the outputs of panels [.., p) clipped to the real outputs. */
    int endOutput(int panelEnd) {
        return Math.min(outputs(), panelEnd * WIDTH);
    }
}
