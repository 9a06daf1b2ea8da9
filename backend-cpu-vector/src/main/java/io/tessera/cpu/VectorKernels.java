package io.tessera.cpu;

import io.tessera.core.checkpoint.DType;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API kernels on {@code FloatVector.SPECIES_PREFERRED} (512-bit when the JVM uses AVX-512,
 * i.e. {@code -XX:UseAVX=3} on a CPU with avx512f; 256-bit with AVX2). Horizontal sums are done lane
 * by lane in a fixed order (not {@code reduceLanes}, whose order the API leaves open), so interpreted
 * and compiled code give the same bits.
 */
final class VectorKernels extends Kernels {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int L = F.length();
    /** Shorts with as many lanes as F (BF16/F16 weights). */
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(L * Short.SIZE));
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int DT_F32 = 0;
    private static final int DT_BF16 = 1;
    private static final int DT_F16 = 2;
    /** GEMM register tile: 4 output rows × 3 vectors of columns. */
    private static final int TW = 3 * L;

    @Override
    String name() {
        return "vector";
    }

    static int code(DType dt) {
        return switch (dt) {
            case F32 -> DT_F32;
            case BF16 -> DT_BF16;
            case F16 -> DT_F16;
            default -> throw new IllegalArgumentException("not a float weight dtype: " + dt);
        };
    }

    /** L weights starting at element {@code e}, widened to float. */
    static FloatVector load(MemorySegment seg, int dt, long e) {
        if (dt == DT_F32) {
            return FloatVector.fromMemorySegment(F, seg, e * Float.BYTES, LE);
        }
        ShortVector s = ShortVector.fromMemorySegment(S, seg, e * Short.BYTES, LE);
        IntVector h = (IntVector) s.convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0);
        if (dt == DT_BF16) {
            return h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
        }
        // F16: move exponent+mantissa into float position and rescale by 2^112 (exact for normals and
        // subnormals); exponent 31 (inf/NaN) maps to float exponent 255; then the sign.
        IntVector em = h.and(0x7fff);
        IntVector shifted = em.lanewise(VectorOperators.LSHL, 13);
        IntVector finite = shifted.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
        VectorMask<Integer> special = em.compare(VectorOperators.GE, 0x7c00);
        IntVector bits = finite.blend(shifted.or(0x7f800000), special);
        return bits.or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
    }

    /** One weight widened to float (tails). */
    static float scalarAt(MemorySegment seg, int dt, long e) {
        return widen(seg, dt == DT_F32 ? DType.F32 : dt == DT_BF16 ? DType.BF16 : DType.F16, e);
    }

    /** Lane sum in lane order 0..L−1. */
    private static float hsum(FloatVector v, float[] scratch) {
        v.intoArray(scratch, 0);
        float s = 0f;
        for (int j = 0; j < L; j++) {
            s += scratch[j];
        }
        return s;
    }

    @Override
    void matmul(Matrix w, int oFrom, int oTo, float[] x, int rows, float[] out) {
        int in = w.cols();
        int outDim = w.rows();
        MemorySegment seg = w.data();
        int dt = code(w.dtype());
        float[] scratch = new float[L];
        for (int o = oFrom; o < oTo; o++) {
            long base = (long) o * in;
            int r = 0;
            for (; r + 4 <= rows; r += 4) {
                rows4(seg, dt, base, in, x, r * in, out, r * outDim + o, outDim, scratch);
            }
            for (; r + 2 <= rows; r += 2) {
                rows2(seg, dt, base, in, x, r * in, out, r * outDim + o, outDim, scratch);
            }
            for (; r < rows; r++) {
                out[r * outDim + o] = rows1(seg, dt, base, in, x, r * in, scratch);
            }
        }
    }

    // The three row-block variants below do exactly the same arithmetic per activation row (two
    // accumulators over 2L-wide steps, one L step, lane sum, scalar tail), so a row's result does not
    // depend on how rows were grouped.

    private static float rows1(MemorySegment seg, int dt, long base, int n, float[] x, int x0, float[] scratch) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector b0 = FloatVector.zero(F);
        int i = 0;
        for (; i + 2 * L <= n; i += 2 * L) {
            FloatVector w0 = load(seg, dt, base + i);
            FloatVector w1 = load(seg, dt, base + i + L);
            a0 = w0.fma(FloatVector.fromArray(F, x, x0 + i), a0);
            b0 = w1.fma(FloatVector.fromArray(F, x, x0 + i + L), b0);
        }
        if (i + L <= n) {
            a0 = load(seg, dt, base + i).fma(FloatVector.fromArray(F, x, x0 + i), a0);
            i += L;
        }
        float s0 = hsum(a0.add(b0), scratch);
        for (; i < n; i++) {
            s0 += scalarAt(seg, dt, base + i) * x[x0 + i];
        }
        return s0;
    }

    private static void rows2(MemorySegment seg, int dt, long base, int n, float[] x, int x0, float[] out, int o0,
                              int ldo, float[] scratch) {
        int x1 = x0 + n;
        FloatVector a0 = FloatVector.zero(F);
        FloatVector b0 = a0;
        FloatVector a1 = a0;
        FloatVector b1 = a0;
        int i = 0;
        for (; i + 2 * L <= n; i += 2 * L) {
            FloatVector w0 = load(seg, dt, base + i);
            FloatVector w1 = load(seg, dt, base + i + L);
            a0 = w0.fma(FloatVector.fromArray(F, x, x0 + i), a0);
            b0 = w1.fma(FloatVector.fromArray(F, x, x0 + i + L), b0);
            a1 = w0.fma(FloatVector.fromArray(F, x, x1 + i), a1);
            b1 = w1.fma(FloatVector.fromArray(F, x, x1 + i + L), b1);
        }
        if (i + L <= n) {
            FloatVector w0 = load(seg, dt, base + i);
            a0 = w0.fma(FloatVector.fromArray(F, x, x0 + i), a0);
            a1 = w0.fma(FloatVector.fromArray(F, x, x1 + i), a1);
            i += L;
        }
        float s0 = hsum(a0.add(b0), scratch);
        float s1 = hsum(a1.add(b1), scratch);
        for (; i < n; i++) {
            float wi = scalarAt(seg, dt, base + i);
            s0 += wi * x[x0 + i];
            s1 += wi * x[x1 + i];
        }
        out[o0] = s0;
        out[o0 + ldo] = s1;
    }

    private static void rows4(MemorySegment seg, int dt, long base, int n, float[] x, int x0, float[] out, int o0,
                              int ldo, float[] scratch) {
        int x1 = x0 + n;
        int x2 = x1 + n;
        int x3 = x2 + n;
        FloatVector a0 = FloatVector.zero(F);
        FloatVector b0 = a0;
        FloatVector a1 = a0;
        FloatVector b1 = a0;
        FloatVector a2 = a0;
        FloatVector b2 = a0;
        FloatVector a3 = a0;
        FloatVector b3 = a0;
        int i = 0;
        for (; i + 2 * L <= n; i += 2 * L) {
            FloatVector w0 = load(seg, dt, base + i);
            FloatVector w1 = load(seg, dt, base + i + L);
            a0 = w0.fma(FloatVector.fromArray(F, x, x0 + i), a0);
            b0 = w1.fma(FloatVector.fromArray(F, x, x0 + i + L), b0);
            a1 = w0.fma(FloatVector.fromArray(F, x, x1 + i), a1);
            b1 = w1.fma(FloatVector.fromArray(F, x, x1 + i + L), b1);
            a2 = w0.fma(FloatVector.fromArray(F, x, x2 + i), a2);
            b2 = w1.fma(FloatVector.fromArray(F, x, x2 + i + L), b2);
            a3 = w0.fma(FloatVector.fromArray(F, x, x3 + i), a3);
            b3 = w1.fma(FloatVector.fromArray(F, x, x3 + i + L), b3);
        }
        if (i + L <= n) {
            FloatVector w0 = load(seg, dt, base + i);
            a0 = w0.fma(FloatVector.fromArray(F, x, x0 + i), a0);
            a1 = w0.fma(FloatVector.fromArray(F, x, x1 + i), a1);
            a2 = w0.fma(FloatVector.fromArray(F, x, x2 + i), a2);
            a3 = w0.fma(FloatVector.fromArray(F, x, x3 + i), a3);
            i += L;
        }
        float s0 = hsum(a0.add(b0), scratch);
        float s1 = hsum(a1.add(b1), scratch);
        float s2 = hsum(a2.add(b2), scratch);
        float s3 = hsum(a3.add(b3), scratch);
        for (; i < n; i++) {
            float wi = scalarAt(seg, dt, base + i);
            s0 += wi * x[x0 + i];
            s1 += wi * x[x1 + i];
            s2 += wi * x[x2 + i];
            s3 += wi * x[x3 + i];
        }
        out[o0] = s0;
        out[o0 + ldo] = s1;
        out[o0 + 2 * ldo] = s2;
        out[o0 + 3 * ldo] = s3;
    }

    @Override
    float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = acc0;
        int i = 0;
        for (; i + 2 * L <= n; i += 2 * L) {
            acc0 = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), acc0);
            acc1 = FloatVector.fromArray(F, a, aOff + i + L).fma(FloatVector.fromArray(F, b, bOff + i + L), acc1);
        }
        if (i + L <= n) {
            acc0 = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), acc0);
            i += L;
        }
        float[] scratch = new float[L];
        float s = hsum(acc0.add(acc1), scratch);
        for (; i < n; i++) {
            s += a[aOff + i] * b[bOff + i];
        }
        return s;
    }

    @Override
    void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        FloatVector a = FloatVector.broadcast(F, alpha);
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector.fromArray(F, x, xOff + i).fma(a, FloatVector.fromArray(F, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] += alpha * x[xOff + i];
        }
    }

    @Override
    float sumOfSquares(float[] x, int off, int n) {
        return dot(x, off, x, off, n);
    }

    @Override
    float sum(float[] x, int off, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i + L <= n; i += L) {
            acc = acc.add(FloatVector.fromArray(F, x, off + i));
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += x[off + i];
        }
        return sum;
    }

    @Override
    float sumOfSquaredDeviations(float[] x, int off, int n, float mean) {
        FloatVector m = FloatVector.broadcast(F, mean);
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector d = FloatVector.fromArray(F, x, off + i).sub(m);
            acc = d.fma(d, acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float d = x[off + i] - mean;
            sum += d * d;
        }
        return sum;
    }

    /**
     * GELU with erf from the same Chebyshev fit of erfc as {@link Kernels#erf}, in float, with
     * {@link VectorConvKernels#exp} (adds, FMAs and bit operations: the same bits interpreted and
     * compiled). For x &lt; 0 the result is x/2 · erfc(|x|/√2) directly (no cancellation in 1 + erf).
     * Tails go through the same lane arithmetic, one lane used, so a split never changes a value.
     */
    @Override
    void gelu(float[] x, int from, int to) {
        int i = from;
        for (; i + L <= to; i += L) {
            gelu(FloatVector.fromArray(F, x, i)).intoArray(x, i);
        }
        for (; i < to; i++) {
            x[i] = gelu(FloatVector.broadcast(F, x[i])).lane(0);
        }
    }

    private static final float[] ERFC_FIT_F = new float[ERFC_FIT.length];

    static {
        for (int k = 0; k < ERFC_FIT.length; k++) {
            ERFC_FIT_F[k] = (float) ERFC_FIT[k];
        }
    }

    static FloatVector gelu(FloatVector v) {
        FloatVector z = v.abs().mul(0.70710678118654752f);
        FloatVector t = FloatVector.broadcast(F, 1f).div(z.fma(FloatVector.broadcast(F, 0.5f), FloatVector.broadcast(F, 1f)));
        FloatVector p = FloatVector.broadcast(F, ERFC_FIT_F[0]);
        for (int k = 1; k < ERFC_FIT_F.length; k++) {
            p = p.fma(t, FloatVector.broadcast(F, ERFC_FIT_F[k]));
        }
        FloatVector arg = t.fma(p, FloatVector.broadcast(F, (float) ERFC_OFFSET)).sub(z.mul(z));
        FloatVector erfc = t.mul(VectorConvKernels.exp(arg));
        FloatVector onePlusErf = FloatVector.broadcast(F, 2f).sub(erfc).blend(erfc, v.compare(VectorOperators.LT, 0f));
        return v.mul(0.5f).mul(onePlusErf);
    }

    @Override
    void addBias(float[] x, int off, float[] bias, int n) {
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector.fromArray(F, x, off + i).add(FloatVector.fromArray(F, bias, i)).intoArray(x, off + i);
        }
        for (; i < n; i++) {
            x[off + i] += bias[i];
        }
    }

    @Override
    void normalizeAffine(float[] x, int off, int n, float mean, float rstd, float[] w, float[] b, float[] out, int outOff) {
        FloatVector m = FloatVector.broadcast(F, mean);
        FloatVector r = FloatVector.broadcast(F, rstd);
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector v = FloatVector.fromArray(F, x, off + i).sub(m).mul(r).mul(FloatVector.fromArray(F, w, i));
            v.add(FloatVector.fromArray(F, b, i)).intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            out[outOff + i] = (x[off + i] - mean) * rstd * w[i] + b[i];
        }
    }

    private static void store(FloatVector c0, FloatVector c1, FloatVector c2, float bias, float[] out, int off,
                              VectorMask<Float> m0, VectorMask<Float> m1, VectorMask<Float> m2) {
        c0.add(bias).intoArray(out, off, m0);
        c1.add(bias).intoArray(out, off + L, m1);
        c2.add(bias).intoArray(out, off + 2 * L, m2);
    }
}
