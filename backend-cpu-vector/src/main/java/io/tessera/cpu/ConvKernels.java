package io.tessera.cpu;

import io.tessera.core.BackendException;
import io.tessera.core.model.VqWeights;

/**
 * The kernels of the convolutional VQ decoder: Conv2d with stride 1, padding k/2, k ∈ {1, 3}, bias,
 * and an optional nearest-×2 upsample of the input fused in front; GroupNorm with optional swish.
 * Two implementations compute the same functions: {@link VectorConvKernels} (a register-blocked
 * GEMM on weights packed once per session, Winograd F(2×2, 3×3) on larger images; vectorised
 * GroupNorm, fused into the next conv's input) and {@link ScalarConvKernels} (direct loops and
 * {@link Kernels#groupNorm}, the references). Results do not depend on the thread
 * count: work is split over independent outputs and every output's reduction runs in one fixed order.
 */
abstract sealed class ConvKernels permits ScalarConvKernels, VectorConvKernels {

    /**
     * One conv layer's weights in the layout its kernels read, built once per session.
     *
     * @param weights layout chosen by the implementation (documented there)
     * @param bias    [cout]
     */
    record Packed(String name, int cout, int cin, int ks, float[] weights, float[] bias) {
    }

    /** The conv kernels named by the {@code kernels} option: "vector" or "scalar". */
    static ConvKernels of(boolean vector) {
        return vector ? new VectorConvKernels() : new ScalarConvKernels();
    }

    /** Packs a checkpoint conv (weight [out, in, k, k] F32/BF16/F16, bias [out]). */
    final Packed pack(VqWeights.Conv c) {
        int ks = c.kernel();
        if (ks != 1 && ks != 3 || c.weight().dim(3) != ks) {
            throw new BackendException("cpu-vector: " + c.weight().name() + " is a " + c.weight().dim(2) + "×"
                    + c.weight().dim(3) + " conv; only 1×1 and 3×3 are supported");
        }
        float[] w = Matrix.of(c.weight()).toFloats(); // [out, in·k·k]
        return pack(c.weight().name(), w, c.bias().toFloatArray(), c.outChannels(), c.inChannels(), ks);
    }

    /** Packs a conv given as a float matrix [cout, cin·ks·ks] (row-major, torch order) and bias [cout]. */
    abstract Packed pack(String name, float[] w, float[] bias, int cout, int cin, int ks);

    /**
     * out [cout, oh, ow] = conv(in [cin, h, w]) with (oh, ow) = (h, w), or (2h, 2w) when {@code upsample}
     * (the input is read at (y/2, x/2)).
     */
    abstract void conv(Parallel pool, Packed p, float[] in, int h, int w, boolean upsample, float[] out);

    /**
     * out = conv(GroupNorm(in), then swish when {@code swish}) with in [cin, h, w] and the GroupNorm of
     * {@link #groupNorm} (all groups): the same values as groupNorm into a temporary then
     * {@link #conv}; an implementation may apply the norm while it reads the input instead.
     */
    abstract void normConv(Parallel pool, Packed p, float[] in, int h, int w, boolean upsample, float[] out, int groups,
                           float[] gamma, float[] beta, float eps, boolean swish);

    /**
     * GroupNorm of one image x [C, hw] for groups g in [gFrom, gTo), as {@link Kernels#groupNorm}:
     * mean and biased variance over each group of C/groups contiguous channels, then per-channel
     * affine and, when {@code swish}, x·σ(x). Writes out (may be x).
     */
    abstract void groupNorm(float[] x, float[] out, int channels, int hw, int groups, float[] gamma, float[] beta,
                            float eps, boolean swish, int gFrom, int gTo);
}
