package io.tessera.cpu;

import io.tessera.core.BackendException;
import io.tessera.core.checkpoint.DType;
import io.tessera.core.checkpoint.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A linear layer's weight [out, in] repacked once, at session start, for {@link GptKernels#matmul}: panels of
 * {@link #WIDTH} consecutive outputs, each panel cut into column blocks of L outputs (L = float lanes), block b of
 * panel p holding w[p·WIDTH + b·L + i, k] at element p·in·WIDTH + b·in·L + k·L + i. For each k a block's L outputs
 * are one vector load (lanes along the outputs; the activations are broadcast), and a register tile of two vectors
 * reads two blocks: two sequential memory streams, which kept more of the memory bandwidth busy on a core that
 * is also computing than one stream of 2L-wide rows did (+20–30 % at 8 rows in a single-thread microbenchmark
 * over 190 MB of weights; within noise in whole decode steps on the loaded build machine). Outputs past the last real
 * one are zero. The elements keep the checkpoint's dtype (F32, or BF16/F16 as 16-bit values widened in the kernel),
 * off-heap in the session's arena (freed when the session closes); the source {@link Matrix} stays the reference for the
 * scalar kernel and for tests.
 *
 * <p>The width is fixed (32 outputs), not the vector length, and no result depends on the layout: every output is
 * one FMA chain over k in order.
 */
final class Panels {
    /** Outputs per panel: two float vectors with AVX-512 (four with AVX2); must be a multiple of the lane count. */
    static final int WIDTH = 32;

    static {
        if (WIDTH % VectorKernels.L != 0) {
            throw new IllegalStateException("cpu-vector: panel width " + WIDTH + " is not a multiple of " + VectorKernels.L + " lanes");
        }
    }

    private final Matrix source;
    private final MemorySegment data;
    private final int panels;

    private Panels(Matrix source, MemorySegment data, int panels) {
        this.source = source;
        this.data = data;
        this.panels = panels;
    }

    /**
     * Packs the 2-D weight tensor {@code t} (F32, BF16 or F16) into memory of {@code arena} (the session's: closing
     * the session frees it), its output rows split over {@code pool}.
     */
    static Panels of(Tensor t, Parallel pool, Arena arena) {
        return of(Matrix.of(t), pool, arena);
    }

    /** Packs {@code m} on the calling thread into memory freed when the result is no longer reachable (tests). */
    static Panels of(Matrix m) {
        return of(m, null, Arena.ofAuto());
    }

    private static Panels of(Matrix m, Parallel pool, Arena arena) {
        int out = m.rows();
        int in = m.cols();
        int panels = (out + WIDTH - 1) / WIDTH;
        boolean f32 = m.dtype() == DType.F32;
        long bytes = (long) panels * WIDTH * in * (f32 ? Float.BYTES : Short.BYTES);
        if (bytes == 0) {
            throw new BackendException("cpu-vector: tensor '" + m.name() + "' is empty");
        }
        MemorySegment dst = arena.allocate(bytes, 64);
        MemorySegment src = m.data();
        Parallel.Range rows = (from, to) -> {
            int lanes = VectorKernels.L;
            for (int o = from; o < to; o++) {
                long base = element(o, 0, in);
                long row = (long) o * in;
                if (f32) {
                    for (int k = 0; k < in; k++) {
                        dst.setAtIndex(Kernels.F32_LE, base + (long) k * lanes, src.getAtIndex(Kernels.F32_LE, row + k));
                    }
                } else {
                    for (int k = 0; k < in; k++) {
                        dst.setAtIndex(Kernels.I16_LE, base + (long) k * lanes, src.getAtIndex(Kernels.I16_LE, row + k));
                    }
                }
            }
        };
        if (pool == null) {
            rows.run(0, out);
        } else {
            pool.range(out, rows);
        }
        return new Panels(m, dst, panels);
    }

    /** Element index of w[o, k] in the packed layout (see the class comment). */
    static long element(int o, int k, int in) {
        int lanes = VectorKernels.L;
        int j = o % WIDTH;
        return (long) (o / WIDTH) * in * WIDTH + (long) (j / lanes) * in * lanes + (long) k * lanes + j % lanes;
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
