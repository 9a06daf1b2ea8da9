package io.tessera.cpu;

import io.tessera.core.checkpoint.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The numeric kernels of the cpu-vector backend. Two implementations compute the same functions:
 * {@link VectorKernels} (jdk.incubator.vector, {@code FloatVector.SPECIES_PREFERRED}) and
 * {@link ScalarKernels} (plain loops, the reference the vector kernels are tested against). Both are
 * single-threaded over the range they are given; callers split work over independent outputs.
 *
 * <p>Helpers that are not worth vectorising (RoPE, softmax, GroupNorm, swish) are static
 * here and shared by both. None of them uses the Vector API's transcendental operators, whose
 * interpreted and compiled forms may round differently; results therefore never depend on which
 * thread (or JIT state) computed them.
 */
abstract sealed class Kernels permits ScalarKernels, VectorKernels {
    static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** The kernels named by the {@code kernels} option: "vector" or "scalar". */
    static Kernels of(boolean vector) {
        return vector ? new VectorKernels() : new ScalarKernels();
    }

    abstract String name();

    // ---------------------------------------------------------------- kernels with two implementations

    /** Σ a[aOff + i] · b[bOff + i] for i &lt; n. */
    abstract float dot(float[] a, int aOff, float[] b, int bOff, int n);

    /** y[yOff + i] += alpha · x[xOff + i] for i &lt; n. */
    abstract void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n);

    /** Σ x[off + i]² for i &lt; n. */
    abstract float sumOfSquares(float[] x, int off, int n);

    /** Σ x[off + i] for i &lt; n. */
    abstract float sum(float[] x, int off, int n);

    /** Σ (x[off + i] − mean)² for i &lt; n. */
    abstract float sumOfSquaredDeviations(float[] x, int off, int n, float mean);

    /** x[off + i] += bias[i] for i &lt; n (nn.Linear's bias). */
    abstract void addBias(float[] x, int off, float[] bias, int n);

    /** out[outOff + i] = (x[off + i] − mean) · rstd · w[i] + b[i] for i &lt; n. */
    abstract void normalizeAffine(float[] x, int off, int n, float mean, float rstd, float[] w, float[] b, float[] out, int outOff);

    /**
     * SwiGLU gate in place: gate[i] = silu(gate[i]) · up[i] for i in [from, to). Element-wise, so an element's bits
     * do not depend on the range it is computed in. The scalar kernel takes σ from {@link Math#exp}; the vector
     * kernel from {@link VectorConvKernels#exp} (within 2 ulp of exp; the same bits interpreted and compiled).
     */
    abstract void swiGlu(float[] gate, float[] up, int from, int to);

    // ---------------------------------------------------------------- shared scalar helpers

    /** Element i of a little-endian F32/BF16/F16 segment, widened exactly to float. */
    static float widen(MemorySegment seg, DType dt, long i) {
        return switch (dt) {
            case F32 -> seg.getAtIndex(F32_LE, i);
            case BF16 -> Float.intBitsToFloat((seg.getAtIndex(I16_LE, i) & 0xffff) << 16);
            case F16 -> Float.float16ToFloat(seg.getAtIndex(I16_LE, i));
            default -> throw new IllegalArgumentException("not a float weight dtype: " + dt);
        };
    }

    /** RMSNorm as LlamaGen: out = (x · rsqrt(mean(x²) + eps)) · w, in float32. */
    final void rmsNorm(float[] x, int off, int n, float[] w, float eps, float[] out, int outOff) {
        float mean = sumOfSquares(x, off, n) / n;
        float r = (float) (1.0 / Math.sqrt(mean + eps));
        for (int i = 0; i < n; i++) {
            out[outOff + i] = (x[off + i] * r) * w[i];
        }
    }

    /**
     * nn.LayerNorm in float32: mean, then the biased variance as the mean squared deviation (two passes, as
     * torch computes it), out = (x − mean) · (1/√(var + eps)) · w + b.
     */
    final void layerNorm(float[] x, int off, int n, float[] w, float[] b, float eps, float[] out, int outOff) {
        float mean = sum(x, off, n) / n;
        float var = sumOfSquaredDeviations(x, off, n, mean) / n;
        float rstd = (float) (1.0 / Math.sqrt(var + eps));
        normalizeAffine(x, off, n, mean, rstd, w, b, out, outOff);
    }

    /**
     * Exact (erf) GELU in place, nn.GELU(): x[i] = x/2 · (1 + erf(x/√2)) for i in [from, to). Every
     * element's bits depend only on its value (the pool may split a row anywhere).
     */
    abstract void gelu(float[] x, int from, int to);

    /**
     * The Chebyshev fit of erfc used by {@link #erf} and the vector GELU: erfc(z) = t · exp(−z² +
     * ERFC_OFFSET + t · P(t)) with t = 1 / (1 + z/2), P's coefficients from the highest power down.
     */
    static final double[] ERFC_FIT = {0.17087277, -0.82215223, 1.48851587, -1.13520398, 0.27886807, -0.18628806,
        0.09678418, 0.37409196, 1.00002368};
    static final double ERFC_OFFSET = -1.26551223;

    /**
     * erf(x) from the Chebyshev fit of erfc (Numerical Recipes {@code erfcc}, fractional error &lt; 1.2e-7
     * everywhere), evaluated in double with {@link StrictMath#exp} so every thread gets the same bits.
     */
    static double erf(double x) {
        double z = Math.abs(x);
        double t = 1.0 / (1.0 + 0.5 * z);
        double p = ERFC_FIT[0];
        for (int k = 1; k < ERFC_FIT.length; k++) {
            p = p * t + ERFC_FIT[k];
        }
        double erfc = t * StrictMath.exp(-z * z + ERFC_OFFSET + t * p);
        return x >= 0 ? 1.0 - erfc : erfc - 1.0;
    }

    /**
     * 2-D RoPE on {@code heads} heads of width hd at x[off ..]: interleaved pairs (a, b) of pair index m
     * become (a·cos − b·sin, b·cos + a·sin) with cos/sin = table[m] (one position row of hd/2 values).
     */
    static void rope(float[] x, int off, int heads, int hd, float[] cos, float[] sin, int tableOff) {
        int pairs = hd / 2;
        for (int h = 0; h < heads; h++) {
            int base = off + h * hd;
            for (int m = 0; m < pairs; m++) {
                float a = x[base + 2 * m];
                float b = x[base + 2 * m + 1];
                float c = cos[tableOff + m];
                float s = sin[tableOff + m];
                x[base + 2 * m] = a * c - b * s;
                x[base + 2 * m + 1] = b * c + a * s;
            }
        }
    }

    /** In-place softmax of x[off .. off+n) in float32: exp(x − max) / Σ. */
    static void softmax(float[] x, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, x[off + i]);
        }
        float sum = 0f;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(x[off + i] - max);
            x[off + i] = e;
            sum += e;
        }
        for (int i = 0; i < n; i++) {
            x[off + i] /= sum;
        }
    }

    /** silu(x) = x · σ(x) = x / (1 + e^−x). */
    static float silu(float x) {
        return x * (float) (1.0 / (1.0 + Math.exp(-x)));
    }


    /**
     * GroupNorm of one image x [C, hw] for groups g in [gFrom, gTo) of C/groups channels each (a group is
     * one contiguous block): mean and biased variance over the
     * group's C/groups·hw values (accumulated in double), eps as given, then per-channel affine and,
     * when {@code swish}, x·σ(x). Writes out (may be x).
     */
    static void groupNorm(float[] x, float[] out, int channels, int hw, int groups, float[] gamma, float[] beta,
                          float eps, boolean swish, int gFrom, int gTo) {
        int cpg = channels / groups;
        for (int g = gFrom; g < gTo; g++) {
            int start = g * cpg * hw;
            int count = cpg * hw;
            double sum = 0;
            for (int i = 0; i < count; i++) {
                sum += x[start + i];
            }
            double mean = sum / count;
            double sq = 0;
            for (int i = 0; i < count; i++) {
                double d = x[start + i] - mean;
                sq += d * d;
            }
            double rstd = 1.0 / Math.sqrt(sq / count + eps);
            for (int c = g * cpg; c < (g + 1) * cpg; c++) {
                float scale = (float) (rstd * gamma[c]);
                float shift = (float) (beta[c] - rstd * gamma[c] * mean);
                int o = c * hw;
                for (int i = 0; i < hw; i++) {
                    float v = x[o + i] * scale + shift;
                    out[o + i] = swish ? silu(v) : v;
                }
            }
        }
    }
}
