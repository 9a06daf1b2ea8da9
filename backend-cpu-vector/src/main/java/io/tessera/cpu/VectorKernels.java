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
    /** Shorts with as many lanes as F (BF16/F16 weights, a bfloat16 KV cache). */
    static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(L * Short.SIZE));
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int DT_F32 = 0;
    private static final int DT_BF16 = 1;
    private static final int DT_F16 = 2;

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

    /** L lanes at a time; the tail in one masked vector (lane-wise: the same bits as a whole vector's lanes). */
    @Override
    void swiGlu(float[] gate, float[] up, int from, int to) {
        int i = from;
        for (; i + L <= to; i += L) {
            VectorConvKernels.silu(FloatVector.fromArray(F, gate, i)).mul(FloatVector.fromArray(F, up, i)).intoArray(gate, i);
        }
        if (i < to) {
            VectorMask<Float> m = F.indexInRange(i, to);
            VectorConvKernels.silu(FloatVector.fromArray(F, gate, i, m)).mul(FloatVector.fromArray(F, up, i, m))
                    .intoArray(gate, i, m);
        }
    }
}
