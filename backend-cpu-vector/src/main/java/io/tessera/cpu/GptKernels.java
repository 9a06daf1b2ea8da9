package io.tessera.cpu;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The GPT's decode-step kernels: the linears' matmul (few activation rows, weights streamed once)
 * and the attention of one (entry, query head) over its visible cache slots. {@link Vector} is the
 * fast path; {@link Scalar} is the reference, built on {@link ScalarKernels} and the shared helpers
 * of {@link Kernels}. Both are single-threaded over what they are given; the caller splits work over
 * independent outputs, and every output is computed by the same code on any thread.
 */
abstract sealed class GptKernels permits GptKernels.Scalar, GptKernels.Vector {

    /** The kernels named by the {@code kernels} option: "vector" or "scalar". */
    static GptKernels of(boolean vector) {
        return vector ? new Vector() : new Scalar();
    }

    /**
     * out[r, o] = Σ_i w[o, i] · x[r, i] for o in [oFrom, oTo) and every activation row r, as
     * {@link Kernels#matmul}: the value of out[r, o] depends neither on {@code rows} nor on the range.
     */
    abstract void matmul(Matrix w, int oFrom, int oTo, float[] x, int rows, float[] out);

    /**
     * Attention of one query head: scores_j = (q · k_{slot j}) · scale for the {@code count} visible
     * slots, p = softmax(scores), out[outOff + d] = Σ_j p_j · v_{slot j}[d] for d &lt; hd. Key and value
     * of slot s start at s · stride + kvOff in {@code keys} / {@code values}; {@code scores} is scratch
     * of at least {@code count} floats. Writes out[outOff .. outOff + hd).
     */
    abstract void attend(float[] q, int qOff, float[] keys, float[] values, int stride, int kvOff, int hd, int[] slots,
                         int count, float scale, float[] scores, float[] out, int outOff);

    /** Reference: {@link ScalarKernels#matmul}; dot, {@link Kernels#softmax} and axpy per slot. */
    static final class Scalar extends GptKernels {
        private final Kernels k = Kernels.of(false);

        @Override
        void matmul(Matrix w, int oFrom, int oTo, float[] x, int rows, float[] out) {
            k.matmul(w, oFrom, oTo, x, rows, out);
        }

        @Override
        void attend(float[] q, int qOff, float[] keys, float[] values, int stride, int kvOff, int hd, int[] slots,
                    int count, float scale, float[] scores, float[] out, int outOff) {
            for (int j = 0; j < count; j++) {
                scores[j] = k.dot(q, qOff, keys, slots[j] * stride + kvOff, hd) * scale;
            }
            Kernels.softmax(scores, 0, count);
            java.util.Arrays.fill(out, outOff, outOff + hd, 0f);
            for (int j = 0; j < count; j++) {
                k.axpy(scores[j], values, slots[j] * stride + kvOff, out, outOff, hd);
            }
        }
    }

    /**
     * Vector API kernels. Horizontal sums are a fixed butterfly (lane i + lane i^(L/2), then ^(L/4),
     * …) of exact lane-wise adds, so interpreted and compiled code give the same bits, in a few
     * shuffles instead of a store and L scalar adds.
     */
    static final class Vector extends GptKernels {
        private static final VectorSpecies<Float> F = VectorKernels.F;
        private static final int L = VectorKernels.L;
        private static final VectorShuffle<Float> X8 = L >= 16 ? VectorShuffle.fromOp(F, i -> i ^ 8) : null;
        private static final VectorShuffle<Float> X4 = L >= 8 ? VectorShuffle.fromOp(F, i -> i ^ 4) : null;
        private static final VectorShuffle<Float> X2 = VectorShuffle.fromOp(F, i -> i ^ 2);
        private static final VectorShuffle<Float> X1 = VectorShuffle.fromOp(F, i -> i ^ 1);

        static {
            if (L < 4 || L > 16) {
                throw new IllegalStateException("cpu-vector: unsupported float vector length " + L);
            }
        }

        /** Σ of the lanes in a fixed butterfly order. */
        static float hsum(FloatVector v) {
            if (X8 != null) {
                v = v.add(v.rearrange(X8));
            }
            if (X4 != null) {
                v = v.add(v.rearrange(X4));
            }
            v = v.add(v.rearrange(X2));
            v = v.add(v.rearrange(X1));
            return v.lane(0);
        }

        /** Bytes of weights per output tile: the tile stays in L2 while every activation row passes over it. */
        static final long TILE_BYTES = 192 * 1024;

        /**
         * Output rows are taken in tiles of about {@link #TILE_BYTES} of weights; within a tile the
         * activation rows go four at a time against two weight rows (then two, then one), so a weight
         * row is read from memory once per call and from cache once per four activation rows (decode
         * with CFG: rows = 2, one read). Per (o, r), whatever the grouping: two accumulators over 2L-wide steps (two
         * independent FMA chains), one L step, butterfly sum, scalar tail — so out[r, o] has the same
         * bits for any rows and range.
         */
        @Override
        void matmul(Matrix w, int oFrom, int oTo, float[] x, int rows, float[] out) {
            matmul(w, oFrom, oTo, x, rows, out, TILE_BYTES);
        }

        /** {@link #matmul} with another tile size (tests use small ones to cross tile borders). */
        void matmul(Matrix w, int oFrom, int oTo, float[] x, int rows, float[] out, long tileBytes) {
            int n = w.cols();
            int outDim = w.rows();
            MemorySegment seg = w.data();
            int dt = VectorKernels.code(w.dtype());
            int tile = rows <= 2 ? Math.max(1, oTo - oFrom)
                    : (int) Math.max(1, tileBytes / Math.max(1L, (long) n * w.dtype().byteSize()));
            for (int t0 = oFrom; t0 < oTo; t0 += tile) {
                int t1 = Math.min(oTo, t0 + tile);
                int r = 0;
                for (; r + 4 <= rows; r += 4) {
                    int o = t0;
                    for (; o + 2 <= t1; o += 2) {
                        rows4x2(seg, dt, (long) o * n, n, x, r * n, out, r * outDim + o, outDim);
                    }
                    if (o < t1) { // an odd last output of the tile
                        rows2(seg, dt, (long) o * n, n, x, r * n, out, r * outDim + o, outDim);
                        rows2(seg, dt, (long) o * n, n, x, (r + 2) * n, out, (r + 2) * outDim + o, outDim);
                    }
                }
                for (; r + 2 <= rows; r += 2) {
                    for (int o = t0; o < t1; o++) {
                        rows2(seg, dt, (long) o * n, n, x, r * n, out, r * outDim + o, outDim);
                    }
                }
                if (r < rows) {
                    for (int o = t0; o < t1; o++) {
                        out[r * outDim + o] = rows1(seg, dt, (long) o * n, n, x, r * n);
                    }
                }
            }
        }

        /**
         * Two weight rows (o, o + 1) against four activation rows: each loaded activation vector feeds
         * two FMAs and each weight vector four, 12 loads per 16 FMAs instead of 10 per 8. Per (o, r)
         * the arithmetic is that of {@link #rows1}, so the bits do not change.
         */
        private static void rows4x2(MemorySegment seg, int dt, long base, int n, float[] x, int x0, float[] out, int o0,
                                    int ldo) {
            long base1 = base + n;
            int x1 = x0 + n;
            int x2 = x1 + n;
            int x3 = x2 + n;
            FloatVector zero = FloatVector.zero(F);
            FloatVector a00 = zero;
            FloatVector b00 = zero;
            FloatVector a01 = zero;
            FloatVector b01 = zero;
            FloatVector a02 = zero;
            FloatVector b02 = zero;
            FloatVector a03 = zero;
            FloatVector b03 = zero;
            FloatVector a10 = zero;
            FloatVector b10 = zero;
            FloatVector a11 = zero;
            FloatVector b11 = zero;
            FloatVector a12 = zero;
            FloatVector b12 = zero;
            FloatVector a13 = zero;
            FloatVector b13 = zero;
            int i = 0;
            for (; i + 2 * L <= n; i += 2 * L) {
                FloatVector w0 = VectorKernels.load(seg, dt, base + i);
                FloatVector v0 = VectorKernels.load(seg, dt, base1 + i);
                FloatVector p0 = FloatVector.fromArray(F, x, x0 + i);
                a00 = w0.fma(p0, a00);
                a10 = v0.fma(p0, a10);
                FloatVector p1 = FloatVector.fromArray(F, x, x1 + i);
                a01 = w0.fma(p1, a01);
                a11 = v0.fma(p1, a11);
                FloatVector p2 = FloatVector.fromArray(F, x, x2 + i);
                a02 = w0.fma(p2, a02);
                a12 = v0.fma(p2, a12);
                FloatVector p3 = FloatVector.fromArray(F, x, x3 + i);
                a03 = w0.fma(p3, a03);
                a13 = v0.fma(p3, a13);
                FloatVector w1 = VectorKernels.load(seg, dt, base + i + L);
                FloatVector v1 = VectorKernels.load(seg, dt, base1 + i + L);
                FloatVector q0 = FloatVector.fromArray(F, x, x0 + i + L);
                b00 = w1.fma(q0, b00);
                b10 = v1.fma(q0, b10);
                FloatVector q1 = FloatVector.fromArray(F, x, x1 + i + L);
                b01 = w1.fma(q1, b01);
                b11 = v1.fma(q1, b11);
                FloatVector q2 = FloatVector.fromArray(F, x, x2 + i + L);
                b02 = w1.fma(q2, b02);
                b12 = v1.fma(q2, b12);
                FloatVector q3 = FloatVector.fromArray(F, x, x3 + i + L);
                b03 = w1.fma(q3, b03);
                b13 = v1.fma(q3, b13);
            }
            if (i + L <= n) {
                FloatVector w0 = VectorKernels.load(seg, dt, base + i);
                FloatVector v0 = VectorKernels.load(seg, dt, base1 + i);
                FloatVector p0 = FloatVector.fromArray(F, x, x0 + i);
                a00 = w0.fma(p0, a00);
                a10 = v0.fma(p0, a10);
                FloatVector p1 = FloatVector.fromArray(F, x, x1 + i);
                a01 = w0.fma(p1, a01);
                a11 = v0.fma(p1, a11);
                FloatVector p2 = FloatVector.fromArray(F, x, x2 + i);
                a02 = w0.fma(p2, a02);
                a12 = v0.fma(p2, a12);
                FloatVector p3 = FloatVector.fromArray(F, x, x3 + i);
                a03 = w0.fma(p3, a03);
                a13 = v0.fma(p3, a13);
                i += L;
            }
            float s00 = hsum(a00.add(b00));
            float s01 = hsum(a01.add(b01));
            float s02 = hsum(a02.add(b02));
            float s03 = hsum(a03.add(b03));
            float s10 = hsum(a10.add(b10));
            float s11 = hsum(a11.add(b11));
            float s12 = hsum(a12.add(b12));
            float s13 = hsum(a13.add(b13));
            for (; i < n; i++) {
                float wi = VectorKernels.scalarAt(seg, dt, base + i);
                float vi = VectorKernels.scalarAt(seg, dt, base1 + i);
                s00 += wi * x[x0 + i];
                s10 += vi * x[x0 + i];
                s01 += wi * x[x1 + i];
                s11 += vi * x[x1 + i];
                s02 += wi * x[x2 + i];
                s12 += vi * x[x2 + i];
                s03 += wi * x[x3 + i];
                s13 += vi * x[x3 + i];
            }
            out[o0] = s00;
            out[o0 + 1] = s10;
            out[o0 + ldo] = s01;
            out[o0 + 1 + ldo] = s11;
            out[o0 + 2 * ldo] = s02;
            out[o0 + 1 + 2 * ldo] = s12;
            out[o0 + 3 * ldo] = s03;
            out[o0 + 1 + 3 * ldo] = s13;
        }

        private static float rows1(MemorySegment seg, int dt, long base, int n, float[] x, int x0) {
            FloatVector a0 = FloatVector.zero(F);
            FloatVector b0 = a0;
            int i = 0;
            for (; i + 2 * L <= n; i += 2 * L) {
                a0 = VectorKernels.load(seg, dt, base + i).fma(FloatVector.fromArray(F, x, x0 + i), a0);
                b0 = VectorKernels.load(seg, dt, base + i + L).fma(FloatVector.fromArray(F, x, x0 + i + L), b0);
            }
            if (i + L <= n) {
                a0 = VectorKernels.load(seg, dt, base + i).fma(FloatVector.fromArray(F, x, x0 + i), a0);
                i += L;
            }
            float s0 = hsum(a0.add(b0));
            for (; i < n; i++) {
                s0 += VectorKernels.scalarAt(seg, dt, base + i) * x[x0 + i];
            }
            return s0;
        }

        private static void rows2(MemorySegment seg, int dt, long base, int n, float[] x, int x0, float[] out, int o0,
                                  int ldo) {
            int x1 = x0 + n;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector b0 = a0;
            FloatVector a1 = a0;
            FloatVector b1 = a0;
            int i = 0;
            for (; i + 2 * L <= n; i += 2 * L) {
                FloatVector w0 = VectorKernels.load(seg, dt, base + i);
                FloatVector w1 = VectorKernels.load(seg, dt, base + i + L);
                a0 = w0.fma(FloatVector.fromArray(F, x, x0 + i), a0);
                b0 = w1.fma(FloatVector.fromArray(F, x, x0 + i + L), b0);
                a1 = w0.fma(FloatVector.fromArray(F, x, x1 + i), a1);
                b1 = w1.fma(FloatVector.fromArray(F, x, x1 + i + L), b1);
            }
            if (i + L <= n) {
                FloatVector w0 = VectorKernels.load(seg, dt, base + i);
                a0 = w0.fma(FloatVector.fromArray(F, x, x0 + i), a0);
                a1 = w0.fma(FloatVector.fromArray(F, x, x1 + i), a1);
                i += L;
            }
            float s0 = hsum(a0.add(b0));
            float s1 = hsum(a1.add(b1));
            for (; i < n; i++) {
                float wi = VectorKernels.scalarAt(seg, dt, base + i);
                s0 += wi * x[x0 + i];
                s1 += wi * x[x1 + i];
            }
            out[o0] = s0;
            out[o0 + ldo] = s1;
        }

        /**
         * Scores: one FMA chain per slot over the head, butterfly sum, scalar tail. Softmax: scalar
         * max, e = exp(s − max) with {@link VectorConvKernels#exp} (L lanes at a time, the tail one lane
         * at a time through the same function), Σ in lane order, then e / Σ. Output: per L-wide piece
         * of the head, one FMA chain over the slots, stored once.
         */
        @Override
        void attend(float[] q, int qOff, float[] keys, float[] values, int stride, int kvOff, int hd, int[] slots,
                    int count, float scale, float[] scores, float[] out, int outOff) {
            for (int j = 0; j < count; j++) {
                int kb = slots[j] * stride + kvOff;
                FloatVector acc = FloatVector.zero(F);
                int d = 0;
                for (; d + L <= hd; d += L) {
                    acc = FloatVector.fromArray(F, q, qOff + d).fma(FloatVector.fromArray(F, keys, kb + d), acc);
                }
                float s = hsum(acc);
                for (; d < hd; d++) {
                    s += q[qOff + d] * keys[kb + d];
                }
                scores[j] = s * scale;
            }
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < count; j++) {
                max = Math.max(max, scores[j]);
            }
            FloatVector vmax = FloatVector.broadcast(F, max);
            FloatVector vsum = FloatVector.zero(F);
            int j = 0;
            for (; j + L <= count; j += L) {
                FloatVector e = VectorConvKernels.exp(FloatVector.fromArray(F, scores, j).sub(vmax));
                e.intoArray(scores, j);
                vsum = vsum.add(e);
            }
            float sum = hsum(vsum);
            for (; j < count; j++) {
                float e = VectorConvKernels.exp(FloatVector.broadcast(F, scores[j] - max)).lane(0);
                scores[j] = e;
                sum += e;
            }
            FloatVector vs = FloatVector.broadcast(F, sum);
            j = 0;
            for (; j + L <= count; j += L) {
                FloatVector.fromArray(F, scores, j).div(vs).intoArray(scores, j);
            }
            for (; j < count; j++) {
                scores[j] /= sum;
            }
            int d = 0;
            for (; d + L <= hd; d += L) {
                FloatVector acc = FloatVector.zero(F);
                for (int t = 0; t < count; t++) {
                    acc = FloatVector.broadcast(F, scores[t]).fma(FloatVector.fromArray(F, values, slots[t] * stride + kvOff + d), acc);
                }
                acc.intoArray(out, outOff + d);
            }
            for (; d < hd; d++) {
                float acc = 0f;
                for (int t = 0; t < count; t++) {
                    acc += scores[t] * values[slots[t] * stride + kvOff + d];
                }
                out[outOff + d] = acc;
            }
        }
    }
}
