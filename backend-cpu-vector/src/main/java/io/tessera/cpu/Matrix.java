package io.tessera.cpu;

import io.tessera.core.BackendException;
import io.tessera.core.checkpoint.DType;
import io.tessera.core.checkpoint.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * A row-major weight matrix [rows, cols] read in place from a checkpoint tensor's bytes
 * (F32, BF16 or F16, little-endian). Kernels widen BF16/F16 to float on the fly.
 */
record Matrix(String name, MemorySegment data, DType dtype, int rows, int cols) {

    /** A 2-D tensor as a matrix; higher ranks are flattened to [dim0, rest] (conv weights). */
    static Matrix of(Tensor t) {
        DType dt = t.dtype();
        if (dt != DType.F32 && dt != DType.BF16 && dt != DType.F16) {
            throw new BackendException("cpu-vector: tensor '" + t.name() + "' has dtype " + dt
                    + "; only F32, BF16 and F16 weights are supported");
        }
        long rows = t.dim(0);
        long cols = t.numel() / Math.max(rows, 1);
        if (rows > Integer.MAX_VALUE || cols > Integer.MAX_VALUE) {
            throw new BackendException("cpu-vector: tensor '" + t.name() + "' is too large");
        }
        return new Matrix(t.name(), t.data(), dt, (int) rows, (int) cols);
    }

    /** Element (row, col) widened to float (scalar path). */
    float get(int row, int col) {
        long i = (long) row * cols + col;
        return Kernels.widen(data, dtype, i);
    }

    /** Row {@code row} widened into {@code out[off ..]}. */
    void rowInto(int row, float[] out, int off) {
        for (int c = 0; c < cols; c++) {
            out[off + c] = get(row, c);
        }
    }

    /** The whole matrix widened to a new array (small per-layer weights only, e.g. one conv). */
    float[] toFloats() {
        float[] out = new float[Math.multiplyExact(rows, cols)];
        if (dtype == DType.F32) {
            MemorySegment.copy(data, Kernels.F32_LE, 0, out, 0, out.length);
        } else {
            for (int i = 0; i < out.length; i++) {
                out[i] = Kernels.widen(data, dtype, i);
            }
        }
        return out;
    }
}
